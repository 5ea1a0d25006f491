/*
** test_ct_entries_scan.c: the in-place get-entries reader against the
** JSON one (core/ct/ct_entries_scan.c, core/ct/ct_entry.c).
**
** Whenever the scanner takes a body, the JSON path must take it too and
** give the same entries, byte for byte; ct_entries_parse must give what
** the JSON path gives on every body, taken or not. Bodies: the three
** fixture files, the same re-spaced and with their keys reordered, and
** thousands of damaged copies (bytes replaced by quotes, backslashes,
** brackets, commas, base64 letters, control and high bytes).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ct/ct_entries_scan.h"
#include "ct/ct_entry.h"
#include "test_ct_util.h"

static int bytes_equal(const struct ct_bytes *a, const struct ct_bytes *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static int entry_equal(const struct ct_entry *a, const struct ct_entry *b)
{
    size_t i;

    if (a->timestamp_ms != b->timestamp_ms || a->type != b->type ||
        !bytes_equal(&a->cert, &b->cert) || !bytes_equal(&a->tbs, &b->tbs) ||
        !bytes_equal(&a->extensions, &b->extensions) ||
        !bytes_equal(&a->timestamped_entry, &b->timestamped_entry) ||
        !a->issuer_key_hash != !b->issuer_key_hash ||
        (a->issuer_key_hash &&
         memcmp(a->issuer_key_hash, b->issuer_key_hash, CT_HASH_LEN) != 0) ||
        a->has_leaf_index != b->has_leaf_index ||
        a->leaf_index != b->leaf_index || a->n_chain != b->n_chain ||
        a->n_chain_dropped != b->n_chain_dropped)
        return 0;
    for (i = 0; i < a->n_chain; i++)
        if (!bytes_equal(&a->chain[i], &b->chain[i]))
            return 0;
    return 1;
}

struct tally {
    int bodies, scanned, mismatches;
};

/* Reads body all three ways and holds them to each other. */
static void three_ways(const char *body, size_t len, struct tally *t,
                       const char *what)
{
    struct ct_entry_list s, j, p;
    char ej[256] = "", ep[256] = "";
    int took = ct_entries_scan(body, len, &s);
    int rj = ct_entries_parse_json(body, len, &j, ej, sizeof ej);
    int rp = ct_entries_parse(body, len, &p, ep, sizeof ep);
    const char *why = NULL;
    size_t i;

    t->bodies++;
    t->scanned += took;
    if (took) {
        if (rj < 0)
            why = "the JSON path refuses it";
        else if (s.n != j.n)
            why = "a different number of entries";
        for (i = 0; !why && i < s.n; i++)
            if (!entry_equal(&s.entries[i], &j.entries[i]))
                why = "a different entry";
    } else if (s.n != 0 || s.entries != NULL) {
        why = "declined, but left entries behind";
    }
    if (!why && (rp != rj || strcmp(ep, ej) != 0 || p.n != j.n))
        why = "ct_entries_parse differs from the JSON path";
    for (i = 0; !why && i < p.n; i++)
        if (!entry_equal(&p.entries[i], &j.entries[i]))
            why = "ct_entries_parse gives a different entry";
    if (why && t->mismatches++ < 10)
        printf("#   %s: %s\n", what, why);
    ct_entry_list_free(&s);
    ct_entry_list_free(&j);
    ct_entry_list_free(&p);
}

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint32_t rng(void)
{
    return check_rand(&rng_state);
}

/* Replaces every occurrence of from by to in s (to no longer than from
** plus 16 bytes each time); returns a new string. */
static char *replace_all(const char *s, const char *from, const char *to)
{
    size_t nf = strlen(from), nt = strlen(to), n = 0;
    const char *q;
    char *out, *o;

    for (q = s; (q = strstr(q, from)); q += nf)
        n++;
    out = malloc(strlen(s) + n * (nt > nf ? nt - nf : 0) + 1);
    if (!out)
        abort();
    for (o = out; (q = strstr(s, from)); s = q + nf) {
        memcpy(o, s, (size_t)(q - s));
        o += q - s;
        memcpy(o, to, nt);
        o += nt;
    }
    strcpy(o, s);
    return out;
}

int main(void)
{
    static const char *const files[] = {
        "rfc6962/ctgo-scanner-FourEntries.get-entries.json",
        "rfc6962/ctgo-logclient-TestGetEntries.get-entries.json",
        "rfc6962/calidog-certstream-server-standard_entry.get-entries.json",
    };
    static const char special[] = "\"\\{}[],: A=\n\x01\xC3\x80";
    static const char *const small[] = {
        "{\"entries\":[]}", " { \"entries\" : [ ] } \n", "{\"entries\":[]}x",
        "{\"entries\":[],\"more\":1}", "{\"entries\":[{}]}", "", "{",
        "{\"entries\":[{\"leaf_input\":\"AAAA\",\"extra_data\":\"\"}]}",
    };
    struct tally fix = { 0 }, var = { 0 }, dmg = { 0 }, sm = { 0 };
    char what[96];
    size_t f, k, len;

    for (k = 0; k < sizeof small / sizeof small[0]; k++)
        three_ways(small[k], strlen(small[k]), &sm, small[k]);
    CHECK(sm.mismatches == 0 && sm.scanned == 2);

    for (f = 0; f < sizeof files / sizeof files[0]; f++) {
        char *body = ct_fixture(files[f], &len), *v1, *v2, *v3, *copy;
        if (!CHECK(body != NULL))
            continue;
        three_ways(body, len, &fix, files[f]);
        /* re-spaced: taken; keys reordered or escaped: declined */
        v1 = replace_all(body, "\",", "\" ,\n  ");
        v2 = replace_all(body, "\"leaf_input\"", "\"leaf_inpu\\u0074\"");
        v3 = replace_all(body, "{\"leaf_input\"", "{\"x\":1,\"leaf_input\"");
        three_ways(v1, strlen(v1), &var, "re-spaced");
        three_ways(v2, strlen(v2), &var, "an escaped key");
        three_ways(v3, strlen(v3), &var, "another key first");
        copy = malloc(len);
        for (k = 0; copy && k < 3000; k++) {
            int edits = 1 + (int)(rng() % 3), m;
            memcpy(copy, body, len);
            for (m = 0; m < edits; m++) {
                uint32_t r = rng();
                copy[r % len] = (r >> 24) & 1 ? special[(r >> 16) %
                                                        (sizeof special - 1)]
                                              : (char)(r >> 8);
            }
            snprintf(what, sizeof what, "copy %zu of %s", k, files[f]);
            three_ways(copy, len, &dmg, what);
        }
        free(copy);
        free(v1);
        free(v2);
        free(v3);
        free(body);
    }
    printf("# fixtures %d/%d scanned, variants %d/%d, damaged copies %d/%d; "
           "%d mismatches\n", fix.scanned, fix.bodies, var.scanned,
           var.bodies, dmg.scanned, dmg.bodies,
           fix.mismatches + var.mismatches + dmg.mismatches);
    CHECK(fix.scanned == fix.bodies && fix.mismatches == 0);
    CHECK(var.scanned == 3 && var.mismatches == 0);
    CHECK(dmg.mismatches == 0);
    /* not vacuous: damaged copies both taken and declined */
    CHECK(dmg.scanned > 0 && dmg.scanned < dmg.bodies);
    return check_done();
}
