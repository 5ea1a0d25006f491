/*
** msg_table.h: a raw JSON message → the Lua table rules see.
**
** The table is lua-cjson's decoding with what rule authors would trip over
** normalised: JSON null becomes nil (the key is absent) and every whole
** number becomes a Lua integer. Everything else is as sent. A one-pass
** decoder builds that table: same keys, values, types and '#' (only the
** unspecified order of pairs() over an object may differ).
*/
#ifndef CERTMON_MSG_TABLE_H
#define CERTMON_MSG_TABLE_H

#include <lua.h>
#include <stddef.h>

/* Installs the decoder in L's registry (not visible to rules). It is
** as strict as lua-cjson configured with decode_invalid_numbers off and
** decode_max_depth 64 (no NaN/Infinity, hex or leading zeros; bounded
** depth).
** Returns 0, or -1 with a message in err. [-0, +0, -] */
int msg_table_init(lua_State *L, char *err, size_t errlen);

/* Decodes data[0..len) and pushes the normalised table. Returns 0 on
** success; on failure (not JSON, not an object, out of memory) returns -1
** and pushes a one-line error message instead. [-0, +1, -] */
int msg_table_push(lua_State *L, const char *data, size_t len);

/* Normalises a table lua-cjson decoded, at idx, in place (null → nil,
** whole floats → integers), recursively: msg_table_push's result equals
** cjson.decode followed by this. Exposed for tests. [-0, +0, m] */
void msg_table_normalise(lua_State *L, int idx);

#endif
