/*
 * harness.c - loads a Go output plugin (.so) the way Fluent Bit's Go proxy does and drives
 * it: FLBPluginPreRegister, FLBPluginRegister, FLBPluginInit per instance, FLBPluginFlushCtx
 * from the engine thread and from worker threads at once, FLBPluginFlush once,
 * FLBPluginExitCtx, FLBPluginUnregister.
 *
 * The structures are plugin/abi.h's (the plugin's own copy of Fluent Bit's layouts); the
 * harness adds only what the plugin never reads (the callbacks after the plugin struct's
 * first members, the proxy context). It plays one host version (-V): the proxy definition is
 * 40 bytes (up to v5.1.0) or 48 (v5.1.1 on: config_map), allocated so that it ends at a
 * PROT_NONE page: a write past it is reported (SIGSEGV handler) and fails the run.
 *
 * Compiled with -rdynamic, it exports what Fluent Bit's binary exports and the plugin looks
 * up with dlsym(RTLD_DEFAULT, ...): the version hook (TL_HOST_VERSION_SYMBOL), flb_context_get
 * (non-NULL on the engine thread only), flb_input_get_instance, flb_input_name,
 * flb_input_get_property, flb_input_log_append_records (a fake forward input, -F), and the
 * cmetrics functions (cmt_counter_create, cmt_counter_add, flb_output_get_cmt_instance,
 * flb_output_name). What they receive goes to the results file (-R, text lines) and the
 * appends file (-A, msgpack: one [tag, count, bin] array per append).
 *
 * Properties are stored the way flb_output_set_property stores them: names Fluent Bit keeps
 * for itself (match, alias, workers, ...) never reach the list output_get_property reads; the
 * lookup is case-insensitive; an empty value reads as NULL. When the plugin registered a
 * config map, every property must be in it (Fluent Bit refuses the instance otherwise).
 *
 * Usage:
 *   harness run SO V1_CHUNK V2_CHUNK THREADS ROUNDS [options] -i k=v ... [-i k=v ...]
 *       flushes each chunk file ROUNDS times to every instance from the engine (main) thread,
 *       tag "app.e.r<round>.<v1|v2>", and at the same time from each of THREADS worker
 *       threads, tag "app.t<thread>.r<round>.<v1|v2>"; then one legacy FLBPluginFlush of
 *       V1_CHUNK with tag "legacy" on the engine thread. Exit 0 when every call returned
 *       what it should and nothing was written where it must not be.
 *   harness initfail SO [options] k=v ...
 *       exit 0 when FLBPluginInit returns <= 0 for these properties.
 * Options:
 *   -V VERSION   the host version the hook returns (without -V it returns NULL)
 *   -D 40|48     the size of struct flb_plugin_proxy_def (default 48)
 *   -c FILE      Fluent Bit's configuration file: ignored by the harness, read by the plugin
 *                from /proc/self/cmdline
 *   -F k=v       a property of the fake forward input (unix_path, tag_prefix, threaded)
 *   -R FILE      results file; -A FILE appends file
 *   -W FILE      after the flushes, wait (up to 60 s) until FILE exists before the exit
 *                (the test creates it once the receivers have everything)
 *   -P N         the forward input refuses the first N appends (returns -1, as one paused at
 *                its mem_buf_limit does)
 *   -X           no output_get_cmt_instance in the API table (as in builds without metrics):
 *                the plugin must use the exported flb_output_get_cmt_instance
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "abi.h"

/* include/fluent-bit/flb_plugin_proxy.h: what context points at. */
struct flb_plugin_proxy_context {
    void *remote_context;
    void *proxy;
};

/* src/proxy/go/go.h: struct flbgo_output_plugin, abi.h's members then the callbacks. */
struct harness_plugin {
    struct tl_output_plugin base;
    int (*cb_init)(struct harness_plugin *);
    int (*cb_flush)(const void *, int, const char *);
    int (*cb_flush_ctx)(void *, const void *, int, char *);
    int (*cb_exit)(void);
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
    char name[64]; /* tracelink.N, or its alias */
    struct kv props[MAX_PROPS]; /* ins->properties */
    int nprops;
    struct flb_plugin_proxy_context ctx;
    int cmt; /* what flb_output_get_cmt_instance returns a pointer to */
};

static struct instance instances[MAX_INSTANCES];
static int ninstances;

/* Stands for struct flb_input_instance. */
struct input {
    int id;
    char name[64];
    struct kv props[MAX_PROPS];
    int nprops;
};

static struct input inputs[2]; /* tail.0, forward.2 (ids need not be contiguous) */
static const int ninputs = 2;
#define FORWARD (&inputs[1])

/* struct flb_config and the engine thread's struct flb_lib_ctx. */
static struct { int magic; } config = { 0x0c0f };
static struct tl_lib_ctx lib_ctx = { .config = &config };
static __thread int engine_thread;

struct chunk {
    char *data;
    size_t size;
};
static struct chunk chunks[2]; /* v1, v2 */
static int threads_n, rounds_n;
static struct harness_plugin plugin;
static void (*cb_unregister)(void *);

static const char *host_version;
static int def_size = 48;
static const char *results_path, *appends_path, *wait_path;
static FILE *appends;
static int no_cmt_api, refuse_n;

static int failures;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* failures, appends, metrics */

static void fail(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&mu);
    failures++;
    fprintf(stderr, "harness: FAIL: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    pthread_mutex_unlock(&mu);
}

/* ---- the host version ---- */

const char *tracelink_abitest_host_version(void)
{
    return host_version;
}

/* ---- the proxy definition, ending at a PROT_NONE page ---- */

static char *guard_lo, *guard_hi;

static void segv(int sig, siginfo_t *si, void *uc)
{
    static const char msg[] = "harness: FAIL: SIGSEGV in the guard page after struct flb_plugin_proxy_def: "
                              "the plugin wrote past the host's allocation\n";
    (void) uc;
    if ((char *) si->si_addr >= guard_lo && (char *) si->si_addr < guard_hi) {
        if (write(2, msg, sizeof(msg) - 1) < 0) {
            _exit(4);
        }
        _exit(3);
    }
    signal(sig, SIG_DFL); /* anything else: crash as it would have */
}

static void *guarded_alloc(size_t size)
{
    long pg = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct sigaction sa;
    if (p == MAP_FAILED || mprotect(p + pg, pg, PROT_NONE) != 0) {
        perror("harness: mmap");
        exit(2);
    }
    guard_lo = p + pg;
    guard_hi = p + 2 * pg;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL); /* before dlopen: the Go runtime chains to it for C code */
    return guard_lo - size; /* zeroed, like flb_calloc */
}

/* ---- properties ---- */

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

static int add_kv(struct kv *props, int *n, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq) {
        fail("bad property %s (want k=v)", kv);
        return -1;
    }
    if (*n >= MAX_PROPS) {
        fail("too many properties at %s", kv);
        return -1;
    }
    props[*n].key = strndup(kv, eq - kv);
    props[*n].val = eq[1] ? strdup(eq + 1) : NULL;
    (*n)++;
    return 0;
}

static const char *get_kv(const struct kv *props, int n, const char *key)
{
    int i;
    if (!key || !*key) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (strcasecmp(props[i].key, key) == 0) {
            return props[i].val;
        }
    }
    return NULL;
}

static void set_property(struct instance *ins, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (eq && (size_t) (eq - kv) == 5 && strncasecmp(kv, "alias", 5) == 0) {
        snprintf(ins->name, sizeof(ins->name), "%s", eq + 1);
        return;
    }
    if (eq && reserved(strndupa(kv, eq - kv))) {
        return; /* kept in the instance struct, not in ins->properties */
    }
    add_kv(ins->props, &ins->nprops, kv);
}

/* ---- struct flb_api ---- */

/* flb_output_get_property -> flb_kv_get_key_value: case-insensitive, first match. */
static const char *output_get_property(const char *key, void *o_ins)
{
    struct instance *ins = o_ins;
    return get_kv(ins->props, ins->nprops, key);
}

static int log_prints;

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
    __atomic_add_fetch(&log_prints, 1, __ATOMIC_SEQ_CST);
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

static struct instance *output_instance(void *o_ins)
{
    int i;
    for (i = 0; i < ninstances; i++) {
        if (o_ins == &instances[i]) {
            return &instances[i];
        }
    }
    fail("an output instance pointer the host never gave: %p", o_ins);
    return NULL;
}

/* flb_output_get_cmt_instance (exported, and in the API table unless -X). */
void *flb_output_get_cmt_instance(void *o_ins)
{
    struct instance *ins = output_instance(o_ins);
    return ins ? &ins->cmt : NULL;
}

const char *flb_output_name(void *o_ins)
{
    struct instance *ins = output_instance(o_ins);
    return ins ? ins->name : NULL;
}

static struct tl_api api = { .output_get_property = output_get_property, .log_print = log_print,
                             .output_log_check = output_log_check };

/* ---- cmetrics ---- */

#define MAX_COUNTERS 64
#define MAX_SERIES 256

struct counter {
    int busy; /* cmetrics counters are not safe for concurrent updates */
    void *cmt;
    char name[128]; /* ns_subsystem_name */
    int nlabels;
    char *keys[8];
};
static struct counter counters[MAX_COUNTERS];
static int ncounters;

struct series {
    char key[512]; /* name{k=v,k=v} */
    double value;
};
static struct series series[MAX_SERIES];
static int nseries;

void *cmt_counter_create(void *cmt, char *ns, char *subsystem, char *name, char *help,
                         int label_count, char **label_keys)
{
    struct counter *c = NULL;
    int i;
    pthread_mutex_lock(&mu);
    if (ncounters < MAX_COUNTERS && label_count >= 0 && label_count <= 8) {
        c = &counters[ncounters++];
    }
    pthread_mutex_unlock(&mu);
    if (!c) {
        fail("cmt_counter_create: too many counters or %d labels", label_count);
        return NULL;
    }
    if (!cmt || !ns || !subsystem || !name || !help || (label_count > 0 && !label_keys)) {
        fail("cmt_counter_create with a NULL argument");
        return NULL;
    }
    c->cmt = cmt;
    snprintf(c->name, sizeof(c->name), "%s_%s_%s", ns, subsystem, name);
    c->nlabels = label_count;
    for (i = 0; i < label_count; i++) {
        c->keys[i] = strdup(label_keys[i]);
    }
    return c;
}

int cmt_counter_add(void *counter, uint64_t ts, double val, int labels_count, char **label_vals)
{
    struct counter *c = counter;
    char key[512];
    size_t n;
    int i;
    (void) ts;
    if (c < counters || c >= counters + ncounters) {
        fail("cmt_counter_add on a counter cmt_counter_create never returned");
        return -1;
    }
    if (labels_count != c->nlabels) {
        fail("cmt_counter_add on %s with %d label values, want %d", c->name, labels_count, c->nlabels);
        return -1;
    }
    if (__atomic_exchange_n(&c->busy, 1, __ATOMIC_ACQUIRE)) {
        fail("concurrent cmt_counter_add calls on %s", c->name);
        return -1;
    }
    n = snprintf(key, sizeof(key), "%s{", c->name);
    for (i = 0; i < labels_count; i++) {
        if (!label_vals[i]) {
            fail("cmt_counter_add on %s: label value %d is NULL", c->name, i);
            break;
        }
        n += snprintf(key + n, sizeof(key) - n, "%s%s=%s", i ? "," : "", c->keys[i], label_vals[i]);
        if (n >= sizeof(key)) {
            fail("cmt_counter_add: labels too long");
            break;
        }
    }
    if (i < labels_count) {
        __atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
        return -1;
    }
    snprintf(key + n, sizeof(key) - n, "}");
    pthread_mutex_lock(&mu);
    for (i = 0; i < nseries; i++) {
        if (strcmp(series[i].key, key) == 0) {
            break;
        }
    }
    if (i == nseries && nseries < MAX_SERIES) {
        snprintf(series[nseries].key, sizeof(series[nseries].key), "%s", key);
        nseries++;
    }
    if (i < nseries) {
        series[i].value += val;
    }
    pthread_mutex_unlock(&mu);
    __atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
    return 0;
}

/* ---- the engine and its inputs ---- */

void *flb_context_get(void)
{
    return engine_thread ? &lib_ctx : NULL;
}

void *flb_input_get_instance(void *cfg, int ins_id)
{
    int i;
    if (cfg != &config) {
        fail("flb_input_get_instance with a config that is not the engine's: %p", cfg);
        return NULL;
    }
    for (i = 0; i < ninputs; i++) {
        if (inputs[i].id == ins_id) {
            return &inputs[i];
        }
    }
    return NULL;
}

static struct input *input_instance(void *ins)
{
    if (ins != &inputs[0] && ins != &inputs[1]) {
        fail("an input instance pointer the host never gave: %p", ins);
        return NULL;
    }
    return ins;
}

const char *flb_input_name(void *ins)
{
    struct input *in = input_instance(ins);
    return in ? in->name : NULL;
}

const char *flb_input_get_property(const char *key, void *ins)
{
    struct input *in = input_instance(ins);
    return in ? get_kv(in->props, in->nprops, key) : NULL;
}

static int appends_n, refused_n;

static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = v >> 24;
    b[1] = v >> 16;
    b[2] = v >> 8;
    b[3] = v;
}

/* Records [tag (str32), records (uint32), buf (bin32)] to the appends file. */
int flb_input_log_append_records(void *ins, size_t records, const char *tag, size_t tag_len,
                                 const void *buf, size_t buf_size)
{
    struct input *in = input_instance(ins);
    const char *threaded;
    unsigned char h[5];
    if (!in) {
        return -1;
    }
    if (!engine_thread) {
        fail("flb_input_log_append_records called off the engine thread");
        return -1;
    }
    if (in != FORWARD) {
        fail("flb_input_log_append_records into %s, not the forward input", in->name);
        return -1;
    }
    threaded = get_kv(in->props, in->nprops, "threaded");
    if (threaded && strcasecmp(threaded, "on") == 0) {
        fail("flb_input_log_append_records into a threaded forward input");
        return -1;
    }
    if (!tag || tag_len == 0 || !buf || buf_size == 0 || records == 0) {
        fail("flb_input_log_append_records with an empty argument");
        return -1;
    }
    pthread_mutex_lock(&mu);
    if (refused_n < refuse_n) {
        refused_n++;
        pthread_mutex_unlock(&mu);
        return -1; /* paused: flb_input_chunk_append_raw refuses */
    }
    appends_n++;
    if (appends) {
        fputc(0x93, appends);
        h[0] = 0xdb;
        put_be32(h + 1, tag_len);
        fwrite(h, 1, 5, appends);
        fwrite(tag, 1, tag_len, appends);
        h[0] = 0xce;
        put_be32(h + 1, records);
        fwrite(h, 1, 5, appends);
        h[0] = 0xc6;
        put_be32(h + 1, buf_size);
        fwrite(h, 1, 5, appends);
        fwrite(buf, 1, buf_size, appends);
    }
    pthread_mutex_unlock(&mu);
    return 0;
}

/* ---- driving the plugin ---- */

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
        ret = plugin.cb_flush(buf, (int) c->size, t);
    }
    else {
        ret = plugin.cb_flush_ctx(remote_context, buf, (int) c->size, t);
    }
    memset(buf, 0xAA, c->size);
    memset(t, 'X', strlen(t));
    free(buf);
    free(t);
    return ret;
}

/* Flushes every round to every instance; th < 0 is the engine thread. */
static void *flusher(void *arg)
{
    long th = (long) arg;
    int r, s, i, ret;
    char tag[64], who[24];
    if (th < 0) {
        snprintf(who, sizeof(who), "e");
    }
    else {
        snprintf(who, sizeof(who), "t%ld", th);
    }
    for (r = 0; r < rounds_n; r++) {
        for (s = 0; s < 2; s++) {
            snprintf(tag, sizeof(tag), "app.%.24s.r%d.%s", who, r, s == 0 ? "v1" : "v2");
            for (i = 0; i < ninstances; i++) {
                ret = flush_one(instances[i].ctx.remote_context, &chunks[s], tag, 0);
                if (ret != 1) {
                    fail("FLBPluginFlushCtx(%s) returned %d, want 1 (FLB_OK)", tag, ret);
                }
            }
        }
    }
    return NULL;
}

static FILE *results;

/* Checks a registered config map (Fluent Bit's flb_config_map_create reads it until an
 * entry without a name) and lists it in the results. */
static struct tl_config_map *check_config_map(struct tl_config_map *m)
{
    static const struct tl_config_map zero;
    int i;
    for (i = 0; i < 512 && m[i].name; i++) {
        if (!m[i].name[0] || (m[i].type != 0 && m[i].type != 1) || !m[i].desc || m[i].flags ||
            m[i].set_property || m[i].offset) {
            fail("config_map[%d] (%s) is malformed: type %d, desc %p, flags %d, set_property %d, offset %lu",
                 i, m[i].name, m[i].type, (void *) m[i].desc, m[i].flags, m[i].set_property,
                 (unsigned long) m[i].offset);
        }
        if (results) {
            fprintf(results, "config_map %d %s\n", m[i].type, m[i].name);
        }
    }
    if (i == 512) {
        fail("config_map has no terminating entry in 512");
        return NULL;
    }
    if (memcmp(&m[i], &zero, sizeof(zero)) != 0) {
        fail("config_map's terminating entry (%d) is not all zero", i);
    }
    if (results) {
        fprintf(results, "config_map_end %d\n", i);
    }
    return m;
}

/* flb_config_map_properties_check: each instance property must be in the map. */
static void check_properties(struct tl_config_map *m, struct instance *ins)
{
    int i, j;
    for (i = 0; i < ins->nprops; i++) {
        for (j = 0; m[j].name; j++) {
            if (m[j].type == 0 && strcasecmp(m[j].name, ins->props[i].key) == 0) {
                break;
            }
            if (m[j].type == 1 && strncasecmp(m[j].name, ins->props[i].key, strlen(m[j].name)) == 0) {
                break;
            }
        }
        if (!m[j].name) {
            fail("unknown configuration property '%s' (not in the config map)", ins->props[i].key);
        }
    }
}

static struct tl_config_map *config_map;

/* dlopen, FLBPluginPreRegister, FLBPluginRegister and the symbol lookups of
 * proxy_go_output_register. Returns the definition or NULL. */
static struct tl_proxy_def *load(const char *so)
{
    void *h;
    int (*pre_register)(int);
    int (*reg)(void *);
    struct tl_proxy_def *def;

    if (def_size != sizeof(struct tl_proxy_def) && def_size != sizeof(struct tl_proxy_def_cm)) {
        fprintf(stderr, "harness: -D %d: want %zu or %zu\n", def_size, sizeof(struct tl_proxy_def),
                sizeof(struct tl_proxy_def_cm));
        return NULL;
    }
    def = guarded_alloc(def_size);
    h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "harness: dlopen: %s\n", dlerror());
        return NULL;
    }
    pre_register = sym(h, "FLBPluginPreRegister");
    if (pre_register && pre_register(0) == -1) {
        fail("FLBPluginPreRegister returned -1");
        return NULL;
    }
    reg = sym(h, "FLBPluginRegister");
    if (!reg) {
        fail("no FLBPluginRegister symbol");
        return NULL;
    }
    if (reg(def) == -1) {
        fail("FLBPluginRegister returned -1");
        return NULL;
    }
    if (def->type != 2 || def->proxy != 11 || !def->name || strcmp(def->name, "tracelink") != 0 ||
        !def->description) {
        fail("FLBPluginRegister filled name %s type %d proxy %d, want tracelink 2 11 and a description",
             def->name ? def->name : "(null)", def->type, def->proxy);
        return NULL;
    }
    if (def->event_type != 0 || def->flags != 0) {
        fail("FLBPluginRegister set event_type %d flags %d, want 0 0", def->event_type, def->flags);
    }
    if (results) {
        fprintf(results, "def_size %d\n", def_size);
    }
    if (def_size == sizeof(struct tl_proxy_def_cm)) {
        config_map = ((struct tl_proxy_def_cm *) def)->config_map;
        if (config_map) {
            config_map = check_config_map(config_map);
        }
        else if (results) {
            fprintf(results, "config_map_none\n");
        }
    }

    plugin.base.name = strdup(def->name);
    plugin.base.api = &api;
    plugin.cb_init = sym(h, "FLBPluginInit");
    plugin.cb_flush = sym(h, "FLBPluginFlush");
    plugin.cb_flush_ctx = sym(h, "FLBPluginFlushCtx");
    plugin.cb_exit = sym(h, "FLBPluginExit");
    plugin.cb_exit_ctx = sym(h, "FLBPluginExitCtx");
    if (!plugin.cb_init || !plugin.cb_flush_ctx || !plugin.cb_exit_ctx) {
        fail("missing FLBPluginInit, FLBPluginFlushCtx or FLBPluginExitCtx");
        return NULL;
    }
    /* called at the end, like flb_proxy_output_cb_destroy; the handle stays open:
     * a Go runtime cannot be unloaded */
    cb_unregister = sym(h, "FLBPluginUnregister");
    return def;
}

/* proxy_go_output_init, on the engine thread: one plugin struct, pointed at the instance
 * being started, after Fluent Bit checked its properties against the config map. */
static int init_instance(struct instance *ins)
{
    if (config_map) {
        check_properties(config_map, ins);
    }
    plugin.base.o_ins = ins;
    plugin.base.context = &ins->ctx;
    return plugin.cb_init(&plugin);
}

/* Reads the options, the fake forward input's properties (-F) and the instances (-i) from
 * argv[from:]; without need_i, properties before any -F or -i are instance 0's. Returns -1
 * on a usage error. */
static int parse(int argc, char **argv, int from, int need_i)
{
    int i;
    char *cur = NULL; /* "i" or "F" */
    for (i = from; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-V") == 0 || strcmp(a, "-D") == 0 || strcmp(a, "-c") == 0 ||
            strcmp(a, "-R") == 0 || strcmp(a, "-A") == 0 || strcmp(a, "-W") == 0 || strcmp(a, "-P") == 0) {
            if (i + 1 >= argc) {
                return -1;
            }
            if (a[1] == 'V') {
                host_version = argv[i + 1];
            }
            else if (a[1] == 'D') {
                def_size = atoi(argv[i + 1]);
            }
            else if (a[1] == 'R') {
                results_path = argv[i + 1];
            }
            else if (a[1] == 'A') {
                appends_path = argv[i + 1];
            }
            else if (a[1] == 'W') {
                wait_path = argv[i + 1];
            }
            else if (a[1] == 'P') {
                refuse_n = atoi(argv[i + 1]);
            }
            i++;
            continue;
        }
        if (strcmp(a, "-X") == 0) {
            no_cmt_api = 1;
            continue;
        }
        if (strcmp(a, "-F") == 0) {
            cur = "F";
            continue;
        }
        if (strcmp(a, "-i") == 0) {
            if (ninstances == MAX_INSTANCES) {
                return -1;
            }
            snprintf(instances[ninstances].name, sizeof(instances[ninstances].name), "tracelink.%d", ninstances);
            ninstances++;
            cur = "i";
            continue;
        }
        if (!need_i && !cur) {
            if (ninstances == 0) {
                snprintf(instances[0].name, sizeof(instances[0].name), "tracelink.0");
                ninstances = 1;
            }
            set_property(&instances[0], a);
            continue;
        }
        if (!cur) {
            fprintf(stderr, "harness: property %s before -i or -F\n", a);
            return -1;
        }
        if (*cur == 'F') {
            add_kv(FORWARD->props, &FORWARD->nprops, a);
        }
        else {
            set_property(&instances[ninstances - 1], a);
        }
    }
    return 0;
}

static void setup(void)
{
    inputs[0].id = 0;
    snprintf(inputs[0].name, sizeof(inputs[0].name), "tail.0");
    add_kv(inputs[0].props, &inputs[0].nprops, "path=/var/log/app/*.log");
    inputs[1].id = 2;
    snprintf(inputs[1].name, sizeof(inputs[1].name), "forward.2");
    if (!no_cmt_api) {
        api.output_get_cmt_instance = flb_output_get_cmt_instance;
    }
    if (results_path && !(results = fopen(results_path, "w"))) {
        perror(results_path);
        exit(2);
    }
    if (appends_path && !(appends = fopen(appends_path, "wb"))) {
        perror(appends_path);
        exit(2);
    }
    engine_thread = 1; /* main is the engine thread: init, its flushes, the exit */
}

/* Waits until the test says the receivers have everything (-W), at most 60 s. */
static void wait_for_drain(void)
{
    int i;
    struct timespec ts = { 0, 5 * 1000000L };
    if (!wait_path) {
        return;
    }
    for (i = 0; i < 12000 && access(wait_path, F_OK) != 0; i++) {
        nanosleep(&ts, NULL);
    }
    if (i == 12000) {
        fprintf(stderr, "harness: %s did not appear within 60 s\n", wait_path);
    }
}

static void write_results(void)
{
    int i;
    if (!results) {
        return;
    }
    pthread_mutex_lock(&mu);
    fprintf(results, "log_print %d\n", __atomic_load_n(&log_prints, __ATOMIC_SEQ_CST));
    fprintf(results, "counters %d\n", ncounters);
    fprintf(results, "appends %d\n", appends_n);
    fprintf(results, "refused %d\n", refused_n);
    for (i = 0; i < nseries; i++) {
        fprintf(results, "metric %s %.0f\n", series[i].key, series[i].value);
    }
    pthread_mutex_unlock(&mu);
    fclose(results);
    results = NULL;
}

static int run(int argc, char **argv)
{
    struct tl_proxy_def *def;
    pthread_t tids[64];
    long t;
    int i, ret;

    if (argc < 8) {
        fprintf(stderr, "usage: harness run SO V1 V2 THREADS ROUNDS [options] -i k=v ...\n");
        return 2;
    }
    if (read_file(argv[3], &chunks[0]) || read_file(argv[4], &chunks[1])) {
        return 2;
    }
    threads_n = atoi(argv[5]);
    rounds_n = atoi(argv[6]);
    if (threads_n < 0 || threads_n > 64 || rounds_n < 1) {
        fprintf(stderr, "harness: bad THREADS or ROUNDS\n");
        return 2;
    }
    if (parse(argc, argv, 7, 1) != 0 || ninstances == 0) {
        fprintf(stderr, "harness: bad options\n");
        return 2;
    }
    setup();

    def = load(argv[2]);
    if (!def) {
        return 1;
    }
    for (i = 0; i < ninstances; i++) {
        ret = init_instance(&instances[i]);
        if (ret <= 0) {
            fail("FLBPluginInit for instance %d returned %d", i, ret);
            return 1;
        }
        if (!instances[i].ctx.remote_context) {
            fail("FLBPluginInit did not set remote_context of instance %d", i);
            return 1;
        }
    }
    if (ninstances > 1 && instances[0].ctx.remote_context == instances[1].ctx.remote_context) {
        fail("two instances share a remote_context");
    }

    for (t = 0; t < threads_n; t++) {
        if (pthread_create(&tids[t], NULL, flusher, (void *) t) != 0) {
            fail("pthread_create %ld", t);
            return 1;
        }
    }
    flusher((void *) -1L);
    for (t = 0; t < threads_n; t++) {
        pthread_join(tids[t], NULL);
    }

    if (plugin.cb_flush) {
        ret = flush_one(NULL, &chunks[0], "legacy", 1);
        if (ret != 1) {
            fail("FLBPluginFlush(legacy) returned %d, want 1", ret);
        }
    }

    /* Fluent Bit keeps running after a flush returns: the plugin's senders deliver what the
     * flushes spooled. */
    wait_for_drain();
    for (i = 0; i < ninstances; i++) {
        ret = plugin.cb_exit_ctx(instances[i].ctx.remote_context);
        if (ret != 1) {
            fail("FLBPluginExitCtx returned %d, want 1", ret);
        }
    }
    write_results(); /* before the unregister frees the config map */
    if (cb_unregister) {
        cb_unregister(def);
    }
    if (appends) {
        fclose(appends);
    }
    fprintf(stderr, "harness: %d instances, %d worker threads and the engine thread x %d rounds x 2 chunks, %d failures\n",
            ninstances, threads_n, rounds_n, failures);
    return failures ? 1 : 0;
}

static int initfail(int argc, char **argv)
{
    struct tl_proxy_def *def;
    int ret;

    if (argc < 3 || parse(argc, argv, 3, 0) != 0) {
        fprintf(stderr, "usage: harness initfail SO [options] k=v ...\n");
        return 2;
    }
    if (ninstances == 0) {
        snprintf(instances[0].name, sizeof(instances[0].name), "tracelink.0");
        ninstances = 1;
    }
    setup();
    def = load(argv[2]);
    if (!def) {
        return 1;
    }
    ret = init_instance(&instances[0]);
    if (ret > 0) {
        fail("FLBPluginInit with a bad configuration returned %d, want <= 0", ret);
        return 1;
    }
    write_results();
    fprintf(stderr, "harness: FLBPluginInit failed as expected (returned %d)\n", ret);
    return failures ? 1 : 0;
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
