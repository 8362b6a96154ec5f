/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_private.h: included by every glue file except mod_batch.c (which
 * declares the module): puts their log lines under "batch" so that
 * LogLevel batch:debug reaches them, and defines the log number macros.
 */
#ifndef BATCH_PRIVATE_H
#define BATCH_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

APLOG_USE_MODULE(batch);

#include "batch_logno.h"

#endif /* BATCH_PRIVATE_H */
