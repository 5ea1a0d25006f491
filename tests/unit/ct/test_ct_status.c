/*
** test_ct_status.c: the durations of the CT status lines ("42s",
** "7m05s", "3h12m"), which ct_status.c formats on its own.
*/
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ct/ct_source_int.h"

static void test_fmt_duration(void)
{
    char b[32];

    ct_status_fmt_duration(b, sizeof b, 0);
    CHECK_STR(b, "0s");
    ct_status_fmt_duration(b, sizeof b, 42999);
    CHECK_STR(b, "42s");
    ct_status_fmt_duration(b, sizeof b, 60000);
    CHECK_STR(b, "1m00s");
    ct_status_fmt_duration(b, sizeof b, 7 * 60000 + 5000);
    CHECK_STR(b, "7m05s");
    ct_status_fmt_duration(b, sizeof b, 3599999);
    CHECK_STR(b, "59m59s");
    ct_status_fmt_duration(b, sizeof b, 3 * 3600000 + 12 * 60000 + 59000);
    CHECK_STR(b, "3h12m");
    /* a buffer too small is cut, still terminated */
    ct_status_fmt_duration(b, 3, 7 * 60000 + 5000);
    CHECK_STR(b, "7m");
}

int main(void)
{
    test_fmt_duration();
    return check_done();
}
