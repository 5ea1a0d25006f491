/*
** fuzz_ct_sth.c: tree heads (core/ct/ct_sth.c), a get-sth body or a
** checkpoint.
**
** Byte 0 picks: bit 0 clear, a get-sth JSON body; set, a checkpoint,
** with bit 1 asking for the origin "rome2026h1.example.org" and bit 2
** passing a log ID (that log's, from the fixture). A tree head that parses
** has a signature within CT_STH_MAX_SIG, no timestamp without a
** signature for checkpoints, the origin it was asked for, and is then
** verified against the fixture log's key (which must not crash whatever
** the signature bytes).
*/
#include <openssl/evp.h>

#include "ct/ct_sth.h"
#include "fuzz_util.h"

/* sunlight-skylight-synthetic: the log's key (log.v3.json) */
static const char key_b64[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEPIcer7RB32jt4bTEbhgUKLKvOctFD+I2"
    "hoDItFxUBlJiGFvftBuRk3fO7e1T7gC2ekyfL7XoO2oN/ObcZyc4EA==";
static const char log_id_b64[] = "CKIDXIl+znJaHUyhzhNVaSxIUov59RCXLh3fJXJExnk=";
static uint8_t key[128], log_id[36];
static int key_len;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    key_len = EVP_DecodeBlock(key, (const unsigned char *)key_b64,
                              (int)strlen(key_b64));
    FUZZ_ASSERT(key_len == 93 &&
                EVP_DecodeBlock(log_id, (const unsigned char *)log_id_b64,
                                (int)strlen(log_id_b64)) == 33);
    key_len = 91;    /* EVP_DecodeBlock counts the padding */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    unsigned flags = fuzz_byte(&in);
    size_t len;
    char *text = (char *)fuzz_take(&in, in.left, &len);
    char err[256] = "", origin[256];
    struct ct_sth sth;
    int rc;

    if (!(flags & 1)) {
        rc = ct_sth_parse_json(text, len, &sth, err, sizeof err);
    } else {
        const char *want = flags & 2 ? "rome2026h1.example.org" : NULL;
        memset(origin, 'x', sizeof origin);
        rc = ct_checkpoint_parse(text, len, want, flags & 4 ? log_id : NULL,
                                 &sth, origin, sizeof origin, err,
                                 sizeof err);
        if (rc == 0) {
            FUZZ_ASSERT(memchr(origin, '\0', sizeof origin) != NULL);
            if (want)
                FUZZ_ASSERT(strcmp(origin, want) == 0);
            if (sth.sig_len == 0)
                FUZZ_ASSERT(sth.timestamp_ms == 0);
        }
    }
    if (rc == 0) {
        FUZZ_ASSERT(sth.sig_len <= CT_STH_MAX_SIG);
        if (sth.sig_len)
            ct_sth_verify(&sth, key, (size_t)key_len, err, sizeof err);
    } else {
        FUZZ_ASSERT(err[0] != '\0');
    }
    free(text);
    return 0;
}
