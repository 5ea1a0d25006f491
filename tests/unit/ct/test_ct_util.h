/*
** test_ct_util.h: fixture loading and the fake log, shared by the CT
** unit tests.
*/
#ifndef TEST_CT_UTIL_H
#define TEST_CT_UTIL_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Reads tests/fixtures/ct/REL (under $CERTMON_TOP when set) into a new
** buffer with a NUL after the len bytes; NULL (and a diagnostic) if it
** cannot. */
static inline char *ct_fixture(const char *rel, size_t *len)
{
    const char *top = getenv("CERTMON_TOP");
    char path[1024];
    FILE *f;
    char *buf = NULL;
    long n;

    snprintf(path, sizeof path, "%s/tests/fixtures/ct/%s",
             top ? top : ".", rel);
    f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)n + 1)) ||
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        printf("# cannot read fixture %s\n", path);
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    if (f)
        fclose(f);
    return buf;
}

/* Starts tools/fake_ctlog (under $CERTMON_TOOLS) on 127.0.0.1 serving
** the three RFC 6962 get-entries fixtures and the navigli2025h2 data
** tile, with the options opts and then extra (NULL-terminated lists,
** either may be NULL), its port file in dir and its stdout discarded.
** Returns its pid and sets *port once it listens; -1 (and a diagnostic)
** if it exits or has not started within 30 s. */
static inline pid_t ct_start_fake_log(const char *dir,
                                      const char *const *opts,
                                      const char *const *extra, int *port)
{
    static const char *const rel[3] = {
        "rfc6962/ctgo-scanner-FourEntries.get-entries.json",
        "rfc6962/ctgo-logclient-TestGetEntries.get-entries.json",
        "rfc6962/calidog-certstream-server-standard_entry.get-entries.json",
    };
    const char *tools = getenv("CERTMON_TOOLS");
    const char *top = getenv("CERTMON_TOP");
    char bin[1024], pf[512], f[3][1024], nav[1024];
    const char *argv[48];
    int argc = 0, i;
    pid_t pid;

    snprintf(bin, sizeof bin, "%s/fake_ctlog",
             tools ? tools : "build/rel/tools");
    snprintf(pf, sizeof pf, "%s/port", dir);
    snprintf(nav, sizeof nav, "%s/tests/fixtures/ct/static-ct/navigli2025h2/"
             "tile/data/000", top ? top : ".");
    unlink(pf);
    argv[argc++] = bin;
    argv[argc++] = "--port-file";
    argv[argc++] = pf;
    argv[argc++] = "--navigli";
    argv[argc++] = nav;
    for (i = 0; opts && opts[i]; i++)
        argv[argc++] = opts[i];
    for (i = 0; extra && extra[i]; i++)
        argv[argc++] = extra[i];
    for (i = 0; i < 3; i++) {
        snprintf(f[i], sizeof f[i], "%s/tests/fixtures/ct/%s",
                 top ? top : ".", rel[i]);
        argv[argc++] = f[i];
    }
    argv[argc] = NULL;
    pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    /* wait until it listens (poll; no timing assumption beyond 30 s) */
    for (i = 0; i < 3000; i++) {
        FILE *fp = fopen(pf, "r");
        struct timespec ts = { 0, 10000000 };
        if (fp) {
            int ok = fscanf(fp, "%d", port) == 1;
            fclose(fp);
            if (ok)
                return pid;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            break;
        nanosleep(&ts, NULL);
    }
    printf("# fake_ctlog did not start (%s)\n", bin);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* Stops a fake log with SIGTERM; returns its wait status. */
static inline int ct_stop_fake_log(pid_t pid)
{
    int status = -1;

    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    return status;
}

#endif
