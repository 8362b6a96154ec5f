/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_config.c: the Batch* directives. Each setter checks its value
 * strictly, so that a bad value stops httpd (and "apache2 -t") with a
 * message naming the directive and the value. Per-directory structs start
 * unset and merge inner-wins; a BatchMethods list in an inner section
 * replaces the outer list whole. Defaults live only in the accessors.
 */
#include <apr_strings.h>
#include <apr_lib.h>

#include "batch_private.h"
#include "http_request.h"

#include "batch_config.h"
#include "batch_parse.h"
#include "batch_util.h"

/* BatchMethods when it is not set (CONTRACT 2). */
static const char *const default_methods[] = {"GET",   "HEAD",   "POST", "PUT",
                                              "PATCH", "DELETE", NULL};

void *batch_config_create_dir(apr_pool_t *p, char *dir)
{
    batch_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)dir;
    c->max_requests = BATCH_UNSET;
    c->max_request_size = BATCH_UNSET;
    c->max_response_size = BATCH_UNSET;
    c->methods = NULL;
    c->base = NULL;
    c->timeout = BATCH_UNSET;
    c->log_items = BATCH_UNSET;
    c->concurrency = BATCH_UNSET;
    c->references = BATCH_UNSET;
    c->atomicity = BATCH_UNSET;
    return c;
}

void *batch_config_create_srv(apr_pool_t *p, server_rec *s)
{
    batch_srv_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->threads = BATCH_UNSET;
    return c;
}

/* The largest BatchConcurrency of the configuration being read, for the
 * start-up notice when it cannot be honoured. Written while the
 * configuration is read (one thread), read in post_config. */
static int max_concurrency_seen;

void batch_config_reset(void)
{
    max_concurrency_seen = 0;
}

int batch_config_max_concurrency_seen(void)
{
    return max_concurrency_seen;
}

#define BATCH_MERGE(field, unset)                                              \
    conf->field = (add->field != (unset)) ? add->field : base->field

void *batch_config_merge_dir(apr_pool_t *p, void *basev, void *addv)
{
    const batch_dir_conf *base = basev;
    const batch_dir_conf *add = addv;
    batch_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    BATCH_MERGE(max_requests, BATCH_UNSET);
    BATCH_MERGE(max_request_size, BATCH_UNSET);
    BATCH_MERGE(max_response_size, BATCH_UNSET);
    BATCH_MERGE(methods, NULL);
    BATCH_MERGE(base, NULL);
    BATCH_MERGE(timeout, BATCH_UNSET);
    BATCH_MERGE(log_items, BATCH_UNSET);
    BATCH_MERGE(concurrency, BATCH_UNSET);
    BATCH_MERGE(references, BATCH_UNSET);
    BATCH_MERGE(atomicity, BATCH_UNSET);
    return conf;
}

int batch_config_max_requests(const batch_dir_conf *c)
{
    return c->max_requests != BATCH_UNSET ? c->max_requests
                                          : BATCH_DEFAULT_MAX_REQUESTS;
}

apr_off_t batch_config_max_request_size(const batch_dir_conf *c)
{
    return c->max_request_size != BATCH_UNSET ? c->max_request_size
                                              : BATCH_DEFAULT_MAX_REQUEST_SIZE;
}

apr_off_t batch_config_max_response_size(const batch_dir_conf *c)
{
    return c->max_response_size != BATCH_UNSET
               ? c->max_response_size
               : BATCH_DEFAULT_MAX_RESPONSE_SIZE;
}

const char *batch_config_base(const batch_dir_conf *c)
{
    return c->base ? c->base : "";
}

apr_interval_time_t batch_config_timeout(const batch_dir_conf *c)
{
    int t = c->timeout != BATCH_UNSET ? c->timeout : BATCH_DEFAULT_TIMEOUT;

    return apr_time_from_sec(t);
}

int batch_config_log_items(const batch_dir_conf *c)
{
    return c->log_items == 1;
}

int batch_config_references(const batch_dir_conf *c)
{
    return c->references == 1;
}

int batch_config_atomicity_ordered(const batch_dir_conf *c)
{
    return c->atomicity == 1;
}

int batch_config_concurrency(const batch_dir_conf *c)
{
    return c->concurrency != BATCH_UNSET ? c->concurrency
                                         : BATCH_DEFAULT_CONCURRENCY;
}

int batch_config_threads(server_rec *s)
{
    const batch_srv_conf *c =
        ap_get_module_config(s->module_config, &batch_module);

    return (c && c->threads != BATCH_UNSET) ? c->threads
                                            : BATCH_DEFAULT_THREADS;
}

int batch_config_method_allowed(const batch_dir_conf *c, const char *method)
{
    int i;

    if (c->methods == NULL) {
        for (i = 0; default_methods[i]; i++) {
            if (strcmp(default_methods[i], method) == 0) {
                return 1;
            }
        }
        return 0;
    }
    for (i = 0; i < c->methods->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(c->methods, i, const char *), method) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Strict decimal in [lo, hi]: digits only, no sign, no junk. */
static int parse_int_range(int *pv, const char *arg, int lo, int hi)
{
    char *end;
    apr_int64_t v;

    /* apr_strtoi64 also takes leading space and a sign: not here */
    if (!apr_isdigit(*arg)) {
        return 0;
    }
    /* too large: APR_INT64_MAX, above every hi */
    v = apr_strtoi64(arg, &end, 10);
    if (*end != '\0' || v < lo || v > hi) {
        return 0;
    }
    *pv = (int)v;
    return 1;
}

/* A whole number directive in [lo, hi]; unit names what it counts in the
 * message ("" or " of seconds"). */
static const char *set_int(cmd_parms *cmd, int *field, const char *arg, int lo,
                           int hi, const char *unit)
{
    if (!parse_int_range(field, arg, lo, hi)) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a number%s from %d "
                            "to %d",
                            cmd->cmd->name, arg, unit, lo, hi);
    }
    return NULL;
}

static const char *set_max_requests(cmd_parms *cmd, void *dconf,
                                    const char *arg)
{
    return set_int(cmd, &((batch_dir_conf *)dconf)->max_requests, arg, 1, 1000,
                   "");
}

static const char *set_size(cmd_parms *cmd, apr_off_t *field, const char *arg)
{
    if (batch_util_parse_size(field, arg) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a size of at least "
                            "1 byte (a number with an optional K, M or G "
                            "suffix)",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *set_max_request_size(cmd_parms *cmd, void *dconf,
                                        const char *arg)
{
    return set_size(cmd, &((batch_dir_conf *)dconf)->max_request_size, arg);
}

static const char *set_max_response_size(cmd_parms *cmd, void *dconf,
                                         const char *arg)
{
    return set_size(cmd, &((batch_dir_conf *)dconf)->max_response_size, arg);
}

/* One directive's list replaces an outer (or earlier) one. */
static const char *set_methods(cmd_parms *cmd, void *dconf, int argc,
                               char *const argv[])
{
    batch_dir_conf *c = dconf;
    int i, k;

    if (argc == 0) {
        return apr_psprintf(cmd->pool, "%s requires at least one method",
                            cmd->cmd->name);
    }
    c->methods = apr_array_make(cmd->pool, argc, sizeof(const char *));
    for (i = 0; i < argc; i++) {
        char *m;

        if (!batch_util_is_token(argv[i])) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not an HTTP method",
                                cmd->cmd->name, argv[i]);
        }
        m = apr_pstrdup(cmd->pool, argv[i]);
        ap_str_toupper(m);
        if (strcmp(m, "TRACE") == 0 || strcmp(m, "CONNECT") == 0) {
            return apr_psprintf(cmd->pool,
                                "%s: '%s' may not be used in a batch",
                                cmd->cmd->name, argv[i]);
        }
        for (k = 0; k < c->methods->nelts; k++) {
            if (strcmp(APR_ARRAY_IDX(c->methods, k, const char *), m) == 0) {
                break;
            }
        }
        if (k == c->methods->nelts) {
            APR_ARRAY_PUSH(c->methods, const char *) = m;
        }
    }
    return NULL;
}

static const char *set_base(cmd_parms *cmd, void *dconf, const char *arg)
{
    batch_dir_conf *c = dconf;

    if (batch_parse_base(&c->base, arg, cmd->pool) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not an absolute path "
                            "(it must start with '/' and have no query, "
                            "fragment, '\\' or dot segments)",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *set_timeout(cmd_parms *cmd, void *dconf, const char *arg)
{
    return set_int(cmd, &((batch_dir_conf *)dconf)->timeout, arg, 1, 86400,
                   " of seconds");
}

/* On or Off, any case: 1 or 0. TAKE1 rather than FLAG, so that the
 * message names the value. */
static const char *set_on_off(cmd_parms *cmd, int *field, const char *arg)
{
    if (strcasecmp(arg, "On") == 0) {
        *field = 1;
    }
    else if (strcasecmp(arg, "Off") == 0) {
        *field = 0;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not On or Off",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *set_log_items(cmd_parms *cmd, void *dconf, const char *arg)
{
    return set_on_off(cmd, &((batch_dir_conf *)dconf)->log_items, arg);
}

static const char *set_references(cmd_parms *cmd, void *dconf, const char *arg)
{
    return set_on_off(cmd, &((batch_dir_conf *)dconf)->references, arg);
}

/* Refuse or Ordered, any case: 0 or 1. */
static const char *set_atomicity(cmd_parms *cmd, void *dconf, const char *arg)
{
    batch_dir_conf *c = dconf;

    if (strcasecmp(arg, "Refuse") == 0) {
        c->atomicity = 0;
    }
    else if (strcasecmp(arg, "Ordered") == 0) {
        c->atomicity = 1;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not Refuse or Ordered",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *set_concurrency(cmd_parms *cmd, void *dconf, const char *arg)
{
    batch_dir_conf *c = dconf;
    const char *err =
        set_int(cmd, &c->concurrency, arg, 1, BATCH_MAX_CONCURRENCY, "");

    if (err == NULL && c->concurrency > max_concurrency_seen) {
        max_concurrency_seen = c->concurrency;
    }
    return err;
}

static const char *set_threads(cmd_parms *cmd, void *dconf, const char *arg)
{
    batch_srv_conf *c =
        ap_get_module_config(cmd->server->module_config, &batch_module);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dconf;
    if (err != NULL) {
        return err;
    }
    return set_int(cmd, &c->threads, arg, 0, BATCH_MAX_THREADS, "");
}

const command_rec batch_cmds[] = {
    AP_INIT_TAKE1("BatchMaxRequests", set_max_requests, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Most items one batch may hold (1-1000, default 20)"),
    AP_INIT_TAKE1("BatchMaxRequestSize", set_max_request_size, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Most bytes of the batch request body (K/M/G suffix, "
                  "default 1M)"),
    AP_INIT_TAKE1("BatchMaxResponseSize", set_max_response_size, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Most bytes of one item's response body (K/M/G suffix, "
                  "default 1M)"),
    AP_INIT_TAKE_ARGV("BatchMethods", set_methods, NULL,
                      RSRC_CONF | ACCESS_CONF,
                      "Methods an item may use (default GET HEAD POST PUT "
                      "PATCH DELETE)"),
    AP_INIT_TAKE1("BatchBase", set_base, NULL, RSRC_CONF | ACCESS_CONF,
                  "Path item urls are resolved against and confined to "
                  "(default /)"),
    AP_INIT_TAKE1("BatchTimeout", set_timeout, NULL, RSRC_CONF | ACCESS_CONF,
                  "Seconds after which items not yet started are not "
                  "started (1-86400, default 60)"),
    AP_INIT_TAKE1("BatchLogItems", set_log_items, NULL, RSRC_CONF | ACCESS_CONF,
                  "Also write every item to the access log as its own line "
                  "(On or Off, default Off)"),
    AP_INIT_TAKE1("BatchConcurrency", set_concurrency, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Most items of one batch that run at the same time "
                  "(1-64, default 1; threaded MPMs only)"),
    AP_INIT_TAKE1("BatchThreads", set_threads, NULL, RSRC_CONF,
                  "Threads per child process that run concurrent items "
                  "(0-1024, default 32; 0 turns concurrency off; server "
                  "config only)"),
    AP_INIT_TAKE1("BatchReferences", set_references, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "Whether items may use results of earlier items: $id "
                  "url prefixes and @{id.path} values (On or Off, default "
                  "Off)"),
    AP_INIT_TAKE1("BatchAtomicity", set_atomicity, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "What to do with atomicity groups: Refuse the batch, or "
                  "run each group in Ordered fashion and stop it at its "
                  "first failure; nothing is undone (default Refuse)"),
    {NULL}};
