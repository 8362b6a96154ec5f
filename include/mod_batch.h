/* Licensed under the Apache License, Version 2.0 (see LICENSE).
 * Copyright 2026 the mod_batch authors.
 *
 * mod_batch.h: the few public names of mod_batch: handler, request notes
 * and environment variable, as CONTRACT sections 1, 4 and 7 name them.
 */
#ifndef MOD_BATCH_H
#define MOD_BATCH_H

#define BATCH_HANDLER "batch"
#define BATCH_NOTE_ITEMS "batch-items"
#define BATCH_NOTE_FAILED "batch-failed"
#define BATCH_ENV_ITEM_ID "BATCH_ITEM_ID"
/* The atomicity group of an item in one (CONTRACT 9), in the same place. */
#define BATCH_ENV_ATOMICITY_GROUP "BATCH_ATOMICITY_GROUP"

#endif /* MOD_BATCH_H */
