/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_config.h: the per-directory configuration of mod_batch (and the
 * one server-wide directive, BatchThreads) and the accessors that apply
 * defaults. Every field starts unset so that "unset"
 * survives nested sections; only the accessors know the defaults.
 */
#ifndef BATCH_CONFIG_H
#define BATCH_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#define BATCH_UNSET (-1)

#define BATCH_DEFAULT_MAX_REQUESTS 20
#define BATCH_DEFAULT_MAX_REQUEST_SIZE (1024 * 1024)
#define BATCH_DEFAULT_MAX_RESPONSE_SIZE (1024 * 1024)
#define BATCH_DEFAULT_TIMEOUT 60
#define BATCH_DEFAULT_CONCURRENCY 1
#define BATCH_MAX_CONCURRENCY 64
#define BATCH_DEFAULT_THREADS 32
#define BATCH_MAX_THREADS 1024

typedef struct batch_dir_conf {
    int max_requests;            /* BatchMaxRequests */
    apr_off_t max_request_size;  /* BatchMaxRequestSize */
    apr_off_t max_response_size; /* BatchMaxResponseSize */
    apr_array_header_t *methods; /* BatchMethods: upper-case strings */
    const char *base;            /* BatchBase, normalized ("" for "/") */
    int timeout;                 /* BatchTimeout, seconds */
    int log_items;               /* BatchLogItems: 1 On, 0 Off */
    int concurrency;             /* BatchConcurrency */
    int references;              /* BatchReferences: 1 On, 0 Off */
    int atomicity;               /* BatchAtomicity: 1 Ordered, 0 Refuse */
} batch_dir_conf;

/** Server-wide settings (main server only: BatchThreads). */
typedef struct batch_srv_conf {
    int threads; /* BatchThreads */
} batch_srv_conf;

extern const command_rec batch_cmds[];

void *batch_config_create_dir(apr_pool_t *p, char *dir);
void *batch_config_merge_dir(apr_pool_t *p, void *basev, void *addv);
void *batch_config_create_srv(apr_pool_t *p, server_rec *s);

/** Forget what the previous configuration pass set (pre_config). */
void batch_config_reset(void);
/** The largest BatchConcurrency anywhere in the configuration read. */
int batch_config_max_concurrency_seen(void);
/** BatchThreads of the main server s (or its default). */
int batch_config_threads(server_rec *s);

int batch_config_max_requests(const batch_dir_conf *c);
apr_off_t batch_config_max_request_size(const batch_dir_conf *c);
apr_off_t batch_config_max_response_size(const batch_dir_conf *c);
const char *batch_config_base(const batch_dir_conf *c);
apr_interval_time_t batch_config_timeout(const batch_dir_conf *c);
/** 1 when BatchLogItems is On. */
int batch_config_log_items(const batch_dir_conf *c);
/** BatchConcurrency (1 = sequential). */
int batch_config_concurrency(const batch_dir_conf *c);
/** 1 when BatchReferences is On (CONTRACT 10). */
int batch_config_references(const batch_dir_conf *c);
/** 1 when BatchAtomicity is Ordered (CONTRACT 9). */
int batch_config_atomicity_ordered(const batch_dir_conf *c);
/** 1 when method (upper case) is in BatchMethods. */
int batch_config_method_allowed(const batch_dir_conf *c, const char *method);

#endif /* BATCH_CONFIG_H */
