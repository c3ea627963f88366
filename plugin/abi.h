/*
 * Fluent Bit's structures that tracelink reads or fills, field for field, in one place: the
 * plugin (cgo) and the ABI harness (internal/abitest/testdata/harness.c) both include this
 * file. Sources, at every tag in internal/host's version table (v3.0.0 to v5.1.1):
 * include/fluent-bit/flb_plugin_proxy.h, flb_api.h, flb_config_map.h, flb_lib.h and
 * src/proxy/go/go.h.
 *
 * Only the members listed are relied on; a host's struct may be longer. Which of these a host
 * has is decided by its exact version (internal/host), never by probing symbols.
 */
#ifndef TRACELINK_ABI_H
#define TRACELINK_ABI_H

#include <stddef.h>
#include <stdint.h>

struct tl_mk_list { struct tl_mk_list *prev, *next; };

/* struct flb_config_map_val (v5.1.1). */
struct tl_config_map_val {
	union { int i_num; int boolean; double d_num; size_t s_num; char *str; void *list; void *variant; } val;
	char *raw;
	void *mult;
	struct tl_mk_list _head;
};

/* struct flb_config_map (v5.1.1): an array of these ends with an all-zero entry. */
struct tl_config_map {
	int type;
	char *name;
	char *def_value;
	int flags;
	int set_property;
	uintptr_t offset;
	char *desc;
	struct tl_config_map_val value;
	struct tl_mk_list _head;
};

/*
 * struct flb_plugin_proxy_def up to v5.1.0: 40 bytes, allocated by the host
 * (flb_plugin_proxy_create). fluent-bit-go's FLBPluginRegister fills these members.
 */
struct tl_proxy_def {
	int type;
	int proxy;
	int flags;
	char *name;
	char *description;
	int event_type;
};

/* struct flb_plugin_proxy_def from v5.1.1: the same, then config_map (48 bytes). */
struct tl_proxy_def_cm {
	struct tl_proxy_def base;
	struct tl_config_map *config_map;
};

/* struct flb_api: its first seven members, the same from v2.1 to v5.1.1. */
struct tl_api {
	const char *(*output_get_property)(const char *, void *);
	const char *(*input_get_property)(const char *, void *);
	void *(*output_get_cmt_instance)(void *);
	void *(*input_get_cmt_instance)(void *);
	void (*log_print)(int, const char *, int, const char *, ...);
	int (*input_log_check)(void *, int);
	int (*output_log_check)(void *, int);
};

/* struct flbgo_output_plugin (src/proxy/go/go.h): the members before the callbacks. */
struct tl_output_plugin {
	char *name;
	struct tl_api *api;
	void *o_ins;
	void *context; /* struct flb_plugin_proxy_context */
};

/*
 * struct flb_lib_ctx (include/fluent-bit/flb_lib.h), the same from v1 to v5.1.1.
 * flb_lib_worker sets it, thread-locally, on the engine thread ("flb-pipeline") before it
 * starts the engine; output worker threads never have it (flb_context_get returns NULL).
 */
struct tl_lib_ctx {
	int status;
	void *event_loop;
	void *event_channel;
	void *config;
};

/*
 * The ABI harness exports this to say which host layout it plays (for example "5.1.0");
 * Fluent Bit never does, and the plugin then asks the fluent-bit binary itself.
 */
#define TL_HOST_VERSION_SYMBOL "tracelink_abitest_host_version"

#endif
