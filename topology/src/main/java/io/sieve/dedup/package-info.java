/**
 * Stage 2, exact deduplication: drops an example whose content hash was seen within the retention
 * window, counting it.
 */
package io.sieve.dedup;
