/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * batch_logno.h: mod_batch's own log message numbers. Every message at
 * debug level or above carries one ("BATCH0007: ..."), never reused;
 * docs/log-messages.md documents each and build/lognos.sh checks both.
 */
#ifndef BATCH_LOGNO_H
#define BATCH_LOGNO_H

#define BATCH_LOGNO(n) "BATCH" #n ": "

#endif /* BATCH_LOGNO_H */
