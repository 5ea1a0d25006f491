/*
** tool_server.h: what the test and bench servers (fake_certstream,
** fake_ctlog, loadgen) share: a libwebsockets context that listens on
** 127.0.0.1 only, its port published in a file for the test script, and
** a service loop that ends on SIGTERM or SIGINT. Header-only, included
** once by each tool, since every tool is one .c file.
*/
#ifndef CERTMON_TOOL_SERVER_H
#define CERTMON_TOOL_SERVER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <libwebsockets.h>

static volatile sig_atomic_t tool_interrupted;
static struct lws_context *tool_context;

static void tool_on_signal(int sig)
{
    (void)sig;
    tool_interrupted = 1;
    if (tool_context)
        lws_cancel_service(tool_context);
}

/* Creates the context of info on 127.0.0.1 (info->iface is set here) and
** returns the port it listens on (info->port 0 = any free one). Exits 1
** with a message if it cannot listen. */
static int tool_listen(const char *name, struct lws_context_creation_info *info)
{
    lws_set_log_level(LLL_ERR, NULL);
    info->iface = "127.0.0.1";
    info->gid = -1;
    info->uid = -1;
    tool_context = lws_create_context(info);
    if (!tool_context) {
        fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d\n", name,
                info->port);
        exit(1);
    }
    signal(SIGTERM, tool_on_signal);
    signal(SIGINT, tool_on_signal);
    signal(SIGPIPE, SIG_IGN);
    return lws_get_vhost_listen_port(lws_get_vhost_by_name(tool_context,
                                                           "default"));
}

/* Writes port to path through a temporary file and a rename, so a script
** polling for the file never reads half of it. Call it once everything
** the script reads next (e.g. a log list naming the port) is written.
** Exits 1 on failure. */
static void tool_publish_port(const char *name, const char *path, int port)
{
    char tmp[4096];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "w")) || fprintf(f, "%d\n", port) < 0 ||
        fclose(f) || rename(tmp, path)) {
        fprintf(stderr, "%s: cannot write %s\n", name, path);
        exit(1);
    }
}

/* Serves until SIGTERM or SIGINT, then destroys the context. */
static void tool_serve(void)
{
    while (!tool_interrupted)
        if (lws_service(tool_context, 0) < 0)
            break;
    lws_context_destroy(tool_context);
    tool_context = NULL;
}

#endif
