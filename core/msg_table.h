/*
** msg_table.h: a raw JSON message → the Lua table rules see.
**
** lua-cjson decodes; then one pass normalises what rule authors would trip
** over: JSON null becomes nil (the key is absent) and every whole number
** becomes a Lua integer. Everything else is as sent.
*/
#ifndef CERTMON_MSG_TABLE_H
#define CERTMON_MSG_TABLE_H

#include <lua.h>
#include <stddef.h>

/* Loads a private lua-cjson instance into L (not visible to rules) and
** configures it strictly (no NaN/Infinity, bounded depth). Call from one
** thread at a time: lua-cjson's init touches a static.
** Returns 0, or -1 with a message in err. [-0, +0, -] */
int msg_table_init(lua_State *L, char *err, size_t errlen);

/* Decodes data[0..len) and pushes the normalised table. Returns 0 on
** success; on failure (not JSON, not an object, out of memory) returns -1
** and pushes a one-line error message instead. [-0, +1, -] */
int msg_table_push(lua_State *L, const char *data, size_t len);

/* Normalises the table at idx in place (null → nil, whole floats →
** integers), recursively. Exposed for tests. [-0, +0, m] */
void msg_table_normalise(lua_State *L, int idx);

#endif
