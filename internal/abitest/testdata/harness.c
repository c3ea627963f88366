/*
 * harness.c - loads a Go output plugin (.so) the way Fluent Bit v5.1.1 does and drives it:
 * FLBPluginPreRegister, FLBPluginRegister, FLBPluginInit per instance, concurrent
 * FLBPluginFlushCtx from several threads, FLBPluginFlush once, FLBPluginExitCtx,
 * FLBPluginUnregister.
 *
 * The structures are laid out as in Fluent Bit v5.1.1 (include/fluent-bit/flb_plugin_proxy.h,
 * include/fluent-bit/flb_api.h, src/proxy/go/go.h). Properties are stored the way
 * flb_output_set_property stores them: names Fluent Bit keeps for itself (match, host,
 * port, workers, ...) never reach the list output_get_property reads; the lookup is
 * case-insensitive; an empty value reads as NULL.
 *
 * Usage:
 *   harness run SO V1_CHUNK V2_CHUNK THREADS ROUNDS -i k=v ... [-i k=v ...]
 *       flushes each chunk file ROUNDS times from each of THREADS threads to every
 *       instance, tag "app.t<thread>.r<round>.<v1|v2>"; then one legacy FLBPluginFlush of
 *       V1_CHUNK with tag "legacy". Exit 0 when every call returned what it should.
 *   harness initfail SO k=v ...
 *       exit 0 when FLBPluginInit returns <= 0 for these properties.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <strings.h>

/* include/fluent-bit/flb_plugin_proxy.h */
struct flb_plugin_proxy_def {
    int type;
    int proxy;
    int flags;
    char *name;
    char *description;
    int event_type;
    void *config_map;
};

struct flb_plugin_proxy_context {
    void *remote_context;
    void *proxy;
};

/* include/fluent-bit/flb_api.h */
struct flb_api {
    const char *(*output_get_property) (const char *, void *);
    const char *(*input_get_property) (const char *, void *);
    void *(*output_get_cmt_instance) (void *);
    void *(*input_get_cmt_instance) (void *);
    void (*log_print) (int, const char *, int, const char *, ...);
    int (*input_log_check) (void *, int);
    int (*output_log_check) (void *, int);
    const char *(*custom_get_property) (const char *, void *);
    int (*custom_log_check) (void *, int);
};

/* src/proxy/go/go.h */
struct flbgo_output_plugin {
    char *name;
    void *api;
    void *o_ins;
    struct flb_plugin_proxy_context *context;

    int (*cb_init)(struct flbgo_output_plugin *);
    int (*cb_flush)(const void *, size_t, const char *);
    int (*cb_flush_ctx)(void *, const void *, size_t, char *);
    int (*cb_exit)();
    int (*cb_exit_ctx)(void *);
};

#define MAX_PROPS 64
#define MAX_INSTANCES 8

struct kv {
    char *key;
    char *val;
};

/* Stands for struct flb_output_instance. */
struct instance {
    struct kv props[MAX_PROPS]; /* ins->properties */
    int nprops;
    struct flb_plugin_proxy_context ctx;
};

static struct instance instances[MAX_INSTANCES];
static int ninstances;

struct chunk {
    char *data;
    size_t size;
};
static struct chunk chunks[2]; /* v1, v2 */
static int threads_n, rounds_n;
static struct flbgo_output_plugin plugin;
static void (*cb_unregister)(struct flb_plugin_proxy_def *);

static int failures;
static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *fmt, const char *a, long b)
{
    pthread_mutex_lock(&fail_mu);
    failures++;
    fprintf(stderr, "harness: FAIL: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    pthread_mutex_unlock(&fail_mu);
}

/* The prefixes flb_output_set_property (src/flb_output.c, v5.1.1) consumes itself. */
static int reserved(const char *k)
{
    static const char *names[] = {
        "match", "match_regex", "alias", "log_level", "log_suppress_interval",
        "host", "port", "ipv6", "retry_limit", "workers", "storage.total_limit_size",
        "tls", NULL
    };
    int i;
    for (i = 0; names[i]; i++) {
        if (strcasecmp(k, names[i]) == 0) {
            return 1;
        }
    }
    return strncasecmp(k, "tls.", 4) == 0 || strncasecmp(k, "net.", 4) == 0 ||
           strncasecmp(k, "oauth2", 6) == 0;
}

static void set_property(struct instance *ins, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq) {
        fail("bad property %s (want k=v)%ld", kv, 0);
        return;
    }
    if (ins->nprops >= MAX_PROPS) {
        fail("too many properties at %s%ld", kv, 0);
        return;
    }
    char *k = strndup(kv, eq - kv);
    if (reserved(k)) {
        free(k);
        return; /* kept in the instance struct, not in ins->properties */
    }
    ins->props[ins->nprops].key = k;
    ins->props[ins->nprops].val = eq[1] ? strdup(eq + 1) : NULL;
    ins->nprops++;
}

/* flb_output_get_property -> flb_kv_get_key_value: case-insensitive, first match. */
static const char *output_get_property(const char *key, void *o_ins)
{
    struct instance *ins = o_ins;
    int i;
    if (!key || !*key) {
        return NULL;
    }
    for (i = 0; i < ins->nprops; i++) {
        if (strcasecmp(ins->props[i].key, key) == 0) {
            return ins->props[i].val;
        }
    }
    return NULL;
}

/* flb_log_print's line format: "[YYYY/MM/DD HH:MM:SS] [LEVEL] message". */
static void log_print(int level, const char *file, int line, const char *fmt, ...)
{
    static const char *names[] = { "", "error", " warn", " info", "debug", "trace" };
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;
    (void) file;
    (void) line;
    localtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y/%m/%d %H:%M:%S", &tm);
    flockfile(stderr);
    fprintf(stderr, "[%s] [%s] ", ts, level >= 1 && level <= 5 ? names[level] : "?????");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    funlockfile(stderr);
}

/* flb_output_log_check: the instance's log_level is info. */
static int output_log_check(void *o_ins, int level)
{
    (void) o_ins;
    return level <= 3;
}

static struct flb_api api = { .output_get_property = output_get_property, .log_print = log_print,
                              .output_log_check = output_log_check };

static void *sym(void *h, const char *name)
{
    dlerror();
    return dlsym(h, name);
}

static int read_file(const char *path, struct chunk *c)
{
    FILE *f = fopen(path, "rb");
    long n;
    if (!f) {
        perror(path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    c->data = malloc(n > 0 ? n : 1);
    c->size = fread(c->data, 1, n, f);
    fclose(f);
    return c->size == (size_t) n ? 0 : -1;
}

/* Like proxy_go_output_flush: a private copy of the chunk and a NUL-terminated tag copy,
 * both freed (and the chunk poisoned) after the call, so a plugin keeping either breaks. */
static int flush_one(void *remote_context, const struct chunk *c, const char *tag, int legacy)
{
    char *buf = malloc(c->size ? c->size : 1);
    char *t = strdup(tag);
    int ret;
    memcpy(buf, c->data, c->size);
    if (legacy) {
        ret = plugin.cb_flush(buf, c->size, t);
    }
    else {
        ret = plugin.cb_flush_ctx(remote_context, buf, c->size, t);
    }
    memset(buf, 0xAA, c->size);
    memset(t, 'X', strlen(t));
    free(buf);
    free(t);
    return ret;
}

static void *flusher(void *arg)
{
    long th = (long) arg;
    int r, s, i, ret;
    char tag[64];
    for (r = 0; r < rounds_n; r++) {
        for (s = 0; s < 2; s++) {
            snprintf(tag, sizeof(tag), "app.t%ld.r%d.%s", th, r, s == 0 ? "v1" : "v2");
            for (i = 0; i < ninstances; i++) {
                ret = flush_one(instances[i].ctx.remote_context, &chunks[s], tag, 0);
                if (ret != 1) {
                    fail("FLBPluginFlushCtx(%s) returned %ld, want 1 (FLB_OK)", tag, ret);
                }
            }
        }
    }
    return NULL;
}

/* dlopen, FLBPluginPreRegister, FLBPluginRegister and the symbol lookups of
 * proxy_go_output_register. Returns the definition or NULL. */
static struct flb_plugin_proxy_def *load(const char *so)
{
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    int (*pre_register)(int);
    int (*reg)(struct flb_plugin_proxy_def *);
    struct flb_plugin_proxy_def *def;

    if (!h) {
        fprintf(stderr, "harness: dlopen: %s\n", dlerror());
        return NULL;
    }
    pre_register = sym(h, "FLBPluginPreRegister");
    if (pre_register && pre_register(0) == -1) {
        fail("FLBPluginPreRegister returned -1%s%ld", "", 0);
        return NULL;
    }
    reg = sym(h, "FLBPluginRegister");
    if (!reg) {
        fail("no FLBPluginRegister symbol%s%ld", "", 0);
        return NULL;
    }
    def = calloc(1, sizeof(*def)); /* flb_plugin_proxy_create uses flb_calloc */
    if (reg(def) == -1) {
        fail("FLBPluginRegister returned -1%s%ld", "", 0);
        return NULL;
    }
    if (def->type != 2 || def->proxy != 11 || !def->name || strcmp(def->name, "tracelink") != 0) {
        fail("FLBPluginRegister filled name %s type/proxy %ld, want tracelink 2/11",
             def->name ? def->name : "(null)", (long) def->type * 100 + def->proxy);
        return NULL;
    }
    if (def->event_type != 0 || def->config_map != NULL) {
        fail("FLBPluginRegister wrote past the fields it owns%s%ld", "", 0);
    }

    plugin.name = strdup(def->name);
    plugin.api = &api;
    plugin.cb_init = sym(h, "FLBPluginInit");
    plugin.cb_flush = sym(h, "FLBPluginFlush");
    plugin.cb_flush_ctx = sym(h, "FLBPluginFlushCtx");
    plugin.cb_exit = sym(h, "FLBPluginExit");
    plugin.cb_exit_ctx = sym(h, "FLBPluginExitCtx");
    if (!plugin.cb_init || !plugin.cb_flush_ctx || !plugin.cb_exit_ctx) {
        fail("missing FLBPluginInit, FLBPluginFlushCtx or FLBPluginExitCtx%s%ld", "", 0);
        return NULL;
    }
    /* called at the end, like flb_proxy_output_cb_destroy; the handle stays open:
     * a Go runtime cannot be unloaded */
    cb_unregister = sym(h, "FLBPluginUnregister");
    return def;
}

/* proxy_go_output_init: one plugin struct, pointed at the instance being started. */
static int init_instance(struct instance *ins)
{
    plugin.o_ins = ins;
    plugin.context = &ins->ctx;
    return plugin.cb_init(&plugin);
}

static int run(int argc, char **argv)
{
    struct flb_plugin_proxy_def *def;
    pthread_t tids[64];
    long t;
    int i, ret;

    if (argc < 8) {
        fprintf(stderr, "usage: harness run SO V1 V2 THREADS ROUNDS -i k=v ...\n");
        return 2;
    }
    if (read_file(argv[3], &chunks[0]) || read_file(argv[4], &chunks[1])) {
        return 2;
    }
    threads_n = atoi(argv[5]);
    rounds_n = atoi(argv[6]);
    if (threads_n < 1 || threads_n > 64 || rounds_n < 1) {
        fprintf(stderr, "harness: bad THREADS or ROUNDS\n");
        return 2;
    }
    for (i = 7; i < argc; i++) {
        if (strcmp(argv[i], "-i") == 0) {
            if (ninstances == MAX_INSTANCES) {
                return 2;
            }
            ninstances++;
            continue;
        }
        if (ninstances == 0) {
            fprintf(stderr, "harness: property before -i\n");
            return 2;
        }
        set_property(&instances[ninstances - 1], argv[i]);
    }

    def = load(argv[2]);
    if (!def) {
        return 1;
    }
    for (i = 0; i < ninstances; i++) {
        ret = init_instance(&instances[i]);
        if (ret <= 0) {
            fail("FLBPluginInit for instance %s returned %ld", i == 0 ? "0" : "1+", ret);
            return 1;
        }
        if (!instances[i].ctx.remote_context) {
            fail("FLBPluginInit did not set remote_context%s%ld", "", i);
            return 1;
        }
    }
    if (ninstances > 1 && instances[0].ctx.remote_context == instances[1].ctx.remote_context) {
        fail("two instances share a remote_context%s%ld", "", 0);
    }

    for (t = 0; t < threads_n; t++) {
        if (pthread_create(&tids[t], NULL, flusher, (void *) t) != 0) {
            fail("pthread_create%s%ld", "", t);
            return 1;
        }
    }
    for (t = 0; t < threads_n; t++) {
        pthread_join(tids[t], NULL);
    }

    if (plugin.cb_flush) {
        ret = flush_one(NULL, &chunks[0], "legacy", 1);
        if (ret != 1) {
            fail("FLBPluginFlush(%s) returned %ld, want 1", "legacy", ret);
        }
    }

    /* Fluent Bit keeps running after a flush returns: give the plugin's senders the time
     * HARNESS_DRAIN_MS says to deliver what the flushes spooled before the exit. */
    if (getenv("HARNESS_DRAIN_MS")) {
        long ms = atol(getenv("HARNESS_DRAIN_MS"));
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    for (i = 0; i < ninstances; i++) {
        ret = plugin.cb_exit_ctx(instances[i].ctx.remote_context);
        if (ret != 1) {
            fail("FLBPluginExitCtx%s returned %ld, want 1", "", ret);
        }
    }
    if (cb_unregister) {
        cb_unregister(def);
    }
    fprintf(stderr, "harness: %d instances, %d threads x %d rounds x 2 chunks, %d failures\n",
            ninstances, threads_n, rounds_n, failures);
    return failures ? 1 : 0;
}

static int initfail(int argc, char **argv)
{
    struct flb_plugin_proxy_def *def;
    int i, ret;

    if (argc < 3) {
        fprintf(stderr, "usage: harness initfail SO k=v ...\n");
        return 2;
    }
    ninstances = 1;
    for (i = 3; i < argc; i++) {
        set_property(&instances[0], argv[i]);
    }
    def = load(argv[2]);
    if (!def) {
        return 1;
    }
    ret = init_instance(&instances[0]);
    if (ret > 0) {
        fail("FLBPluginInit with a bad configuration returned %s%ld, want <= 0", "", ret);
        return 1;
    }
    fprintf(stderr, "harness: FLBPluginInit failed as expected (returned %d)\n", ret);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "run") == 0) {
        return run(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "initfail") == 0) {
        return initfail(argc, argv);
    }
    fprintf(stderr, "usage: harness run|initfail ...\n");
    return 2;
}
