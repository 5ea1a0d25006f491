/*
** fuzz_ct_policy.c: what a CT log's answers steer in core/ct/ct_policy.c -
** the Retry-After header (any bytes a server sends), and the tree sizes
** and short answers the fetch ranges and the batch cap are computed from.
**
** Byte 0 picks: even, a Retry-After value (the rest, NUL-terminated);
** odd, numbers: next and target (u64 each), asked and got (u16 each), a
** start (u64). ct_retry_after_ms is -1 or a wait of at most what the
** header can say (10^9 s or a date before 10000); a range is within
** [next, target), at most cap entries, inside one aligned block of cap;
** the batch cap stays within 1..CT_BATCH_MAX and never grows from a
** short answer.
*/
#include "ct/ct_policy.h"
#include "fuzz_util.h"

static uint64_t u64(struct fuzz_in *in)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | fuzz_byte(in);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    unsigned form = fuzz_byte(&in);

    if (size > 256)
        return 0;
    if (form % 2 == 0) {
        size_t len;
        char *value = fuzz_take_str(&in, in.left, &len);
        int64_t ms = ct_retry_after_ms(value, 1700000000000);

        FUZZ_ASSERT(ms >= -1);
        FUZZ_ASSERT(ms <= 253402300800000);    /* 9999-12-31, in ms */
        free(value);
    } else {
        uint64_t next = u64(&in), target = u64(&in), start, end, at;
        unsigned asked = fuzz_u16(&in), got = fuzz_u16(&in), before;
        struct ct_batch b;

        at = u64(&in);
        ct_batch_init(&b, asked);
        FUZZ_ASSERT(b.cap >= 1 && b.cap <= CT_BATCH_MAX);
        before = b.cap;
        ct_batch_observe(&b, at, b.cap, got);
        FUZZ_ASSERT(b.cap >= 1 && b.cap <= before);
        if (ct_next_range(next, target, b.cap, &start, &end) == 0) {
            FUZZ_ASSERT(next < target);
            FUZZ_ASSERT(start == next && end >= start && end < target);
            FUZZ_ASSERT(end - start < b.cap);
            FUZZ_ASSERT(start / b.cap == end / b.cap);
        } else {
            FUZZ_ASSERT(next >= target);
        }
    }
    return 0;
}
