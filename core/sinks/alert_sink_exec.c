/*
** alert_sink_exec.c: runs a program once per alert (--alert-exec CMD).
**
** CMD is split on blanks into a program and its arguments; there is no
** shell, so no quoting, globbing or expansion (a program name without a
** '/' is looked up in PATH). The program gets the alert JSON on stdin and
** certspotter-style environment variables:
**   CERTMON_ALERT_JSON   the whole alert line, when it is under
**                        EXEC_MAX_ENV_JSON bytes (Linux refuses longer
**                        variables; stdin always has the line)
**   CERTMON_RULE, CERTMON_DOMAIN, CERTMON_FINGERPRINT, CERTMON_BRAND,
**   CERTMON_TECHNIQUE, CERTMON_ISSUER, CERTMON_SCORE, CERTMON_TIME
**                        the alert's fields of these names, when they are
**                        strings or numbers
** stdout goes to /dev/null (it must not mix with the alert stream), stderr
** is read for the reason of a failure. Exit status 0 is delivered; any
** other status, a signal or the timeout (--alert-timeout; the program's
** whole process group is then killed) is a failure, retried like a
** webhook's network error. The sink runs --alert-exec-jobs programs at
** once (one per sink thread).
**
** posix_spawn rather than fork: the process has many threads, and
** posix_spawn (vfork-like in glibc) does only exec-safe work in the child.
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sinks/alert_sink_kind.h"
#include "json_parse.h"
#include "mono_clock.h"

#define EXEC_MAX_ARGS 64
#define EXEC_STDERR_LINE 200
#define EXEC_MAX_ENV_JSON (64 * 1024)

extern char **environ;

struct exec_sink {
    char *buf;                  /* the split command line */
    char *argv[EXEC_MAX_ARGS + 1];
};

static const char *const env_fields[][2] = {
    { "rule", "CERTMON_RULE" },
    { "domain", "CERTMON_DOMAIN" },
    { "fingerprint", "CERTMON_FINGERPRINT" },
    { "brand", "CERTMON_BRAND" },
    { "technique", "CERTMON_TECHNIQUE" },
    { "issuer", "CERTMON_ISSUER" },
    { "score", "CERTMON_SCORE" },
    { "time", "CERTMON_TIME" },
};
#define N_ENV_FIELDS (sizeof(env_fields) / sizeof(env_fields[0]))

static void exec_free(void *impl)
{
    struct exec_sink *x = impl;

    if (x) {
        free(x->buf);
        free(x);
    }
}

void *exec_sink_new(const char *cmd, const struct alert_sinks_config *c,
                    char *err, size_t errlen)
{
    struct exec_sink *x = calloc(1, sizeof(*x));
    size_t argc = 0;
    char *save = NULL, *tok;

    (void)c;
    if (!x || !(x->buf = strdup(cmd))) {
        free(x);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (tok = strtok_r(x->buf, " \t", &save); tok;
         tok = strtok_r(NULL, " \t", &save)) {
        if (argc == EXEC_MAX_ARGS) {
            snprintf(err, errlen, "more than %d arguments", EXEC_MAX_ARGS);
            exec_free(x);
            return NULL;
        }
        x->argv[argc++] = tok;
    }
    if (argc == 0) {
        snprintf(err, errlen, "empty command");
        exec_free(x);
        return NULL;
    }
    if (strchr(x->argv[0], '/') && access(x->argv[0], X_OK) != 0) {
        snprintf(err, errlen, "%s: %s", x->argv[0], strerror(errno));
        exec_free(x);
        return NULL;
    }
    return x;
}

/* The environment for one run: ours first, then the inherited variables
** except those we set. Returns a NULL-terminated array owning its strings
** in *own (n_own of them), or NULL on OOM. */
static char **make_env(const char *line, size_t len, char ***own,
                       size_t *n_own)
{
    char err[64];
    struct json_value *a = json_parse(line, len, err, sizeof(err));
    size_t n_env = 0, k = 0, n = 0;
    char **env, **mine;

    while (environ[n_env])
        n_env++;
    env = calloc(n_env + N_ENV_FIELDS + 2, sizeof(*env));
    mine = calloc(N_ENV_FIELDS + 1, sizeof(*mine));
    if (!env || !mine)
        goto oom;
    if (len < EXEC_MAX_ENV_JSON) {
        if (asprintf(&mine[n], "CERTMON_ALERT_JSON=%.*s", (int)len, line) < 0)
            goto oom;
        env[k++] = mine[n++];
    }
    for (size_t i = 0; a && i < N_ENV_FIELDS; i++) {
        const struct json_value *v = json_get(a, env_fields[i][0]);
        int r = -1;
        if (v && v->type == JSON_STRING)    /* stops at an embedded NUL */
            r = asprintf(&mine[n], "%s=%s", env_fields[i][1], v->u.str.s);
        else if (v && v->type == JSON_NUMBER && v->u.num.is_int)
            r = asprintf(&mine[n], "%s=%lld", env_fields[i][1],
                         (long long)v->u.num.i);
        else if (v && v->type == JSON_NUMBER)
            r = asprintf(&mine[n], "%s=%.17g", env_fields[i][1], v->u.num.d);
        else
            continue;
        if (r < 0)
            goto oom;
        env[k++] = mine[n++];
    }
    for (size_t i = 0; i < n_env; i++) {
        int ours = strncmp(environ[i], "CERTMON_ALERT_JSON=", 19) == 0;
        for (size_t f = 0; f < N_ENV_FIELDS && !ours; f++) {
            size_t l = strlen(env_fields[f][1]);
            ours = strncmp(environ[i], env_fields[f][1], l) == 0 &&
                   environ[i][l] == '=';
        }
        if (!ours)
            env[k++] = environ[i];
    }
    json_free(a);
    *own = mine;
    *n_own = n;
    return env;
oom:
    json_free(a);
    for (size_t i = 0; mine && i < n; i++)
        free(mine[i]);
    free(mine);
    free(env);
    return NULL;
}

static int remaining_ms(int64_t deadline_ns)
{
    int64_t left = (deadline_ns - mono_ns()) / 1000000;

    return left <= 0 ? 0 : (int)(left > 0x7fffffff ? 0x7fffffff : left);
}

static enum sink_result exec_deliver(void *impl, const char *line,
                                     size_t len, unsigned timeout_ms,
                                     char *why, size_t whylen,
                                     unsigned *retry_ms)
{
    struct exec_sink *x = impl;
    int64_t deadline = mono_ns() + (int64_t)timeout_ms * 1000000;
    int in[2] = { -1, -1 }, errp[2] = { -1, -1 }, status = 0, timed_out = 0;
    char **env = NULL, **own = NULL, first[EXEC_STDERR_LINE + 1], buf[512];
    size_t n_own = 0, off = 0, first_len = 0;
    int first_done = 0, rc;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    pid_t pid = -1;
    enum sink_result result = SINK_RETRY;
    char *input = NULL;

    (void)retry_ms;
    input = malloc(len + 1);
    env = make_env(line, len, &own, &n_own);
    if (!input || !env) {
        snprintf(why, whylen, "out of memory");
        goto done;
    }
    memcpy(input, line, len);
    input[len] = '\n';
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        snprintf(why, whylen, "cannot make a pipe: %s", strerror(errno));
        goto done;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGHUP);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                             POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    rc = strchr(x->argv[0], '/')
             ? posix_spawn(&pid, x->argv[0], &fa, &attr, x->argv, env)
             : posix_spawnp(&pid, x->argv[0], &fa, &attr, x->argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(errp[1]);
    in[0] = errp[1] = -1;
    if (rc != 0) {
        pid = -1;
        snprintf(why, whylen, "cannot run %s: %s", x->argv[0], strerror(rc));
        goto done;
    }
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    /* feed stdin and read stderr until both are done or time is up */
    while (errp[0] >= 0 || in[1] >= 0) {
        struct pollfd pfd[2];
        int nf = 0, ms = remaining_ms(deadline);
        if (ms == 0) {
            timed_out = 1;
            break;
        }
        if (in[1] >= 0)
            pfd[nf++] = (struct pollfd){ .fd = in[1], .events = POLLOUT };
        if (errp[0] >= 0)
            pfd[nf++] = (struct pollfd){ .fd = errp[0], .events = POLLIN };
        if (poll(pfd, (nfds_t)nf, ms) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < nf; i++) {
            if (!pfd[i].revents)
                continue;
            if (pfd[i].fd == in[1]) {
                ssize_t w = write(in[1], input + off, len + 1 - off);
                if (w > 0)
                    off += (size_t)w;
                if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
                    off == len + 1) {     /* done, or it closed stdin */
                    close(in[1]);
                    in[1] = -1;
                }
            } else {
                ssize_t r = read(errp[0], buf, sizeof(buf));
                if (r <= 0 && !(r < 0 && errno == EINTR)) {
                    close(errp[0]);
                    errp[0] = -1;
                    continue;
                }
                for (ssize_t j = 0; j < r && !first_done; j++) {
                    if (buf[j] == '\n' || first_len == EXEC_STDERR_LINE)
                        first_done = 1;
                    else
                        first[first_len++] =
                            (buf[j] >= ' ' && buf[j] < 0x7f) ? buf[j] : ' ';
                }
            }
        }
    }
    /* stderr closed: the program is exiting; wait for it, within time */
    while (!timed_out) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            pid = -1;
            break;
        }
        if (r < 0 && errno != EINTR) {
            pid = -1;
            break;
        }
        if (remaining_ms(deadline) == 0) {
            timed_out = 1;
            break;
        }
        nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000000 }, NULL);
    }
    first[first_len] = '\0';
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        pid = -1;
        snprintf(why, whylen, "%s timed out after %u ms (killed)",
                 x->argv[0], timeout_ms);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        result = SINK_DELIVERED;
    } else if (WIFEXITED(status)) {
        snprintf(why, whylen, "%s exited with status %d%s%s", x->argv[0],
                 WEXITSTATUS(status), first_len ? ": " : "", first);
    } else if (WIFSIGNALED(status)) {
        snprintf(why, whylen, "%s killed by signal %d%s%s", x->argv[0],
                 WTERMSIG(status), first_len ? ": " : "", first);
    }
done:
    if (pid > 0) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    for (size_t i = 0; i < n_own; i++)
        free(own[i]);
    free(own);
    free(env);
    free(input);
    return result;
}

const struct sink_kind exec_sink_kind = {
    .prefix = "exec",
    .option = "--alert-exec",
    .create = exec_sink_new,
    .deliver = exec_deliver,
    .free = exec_free,
};
