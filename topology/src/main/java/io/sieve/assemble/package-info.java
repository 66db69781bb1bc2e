/**
 * Stage 6, assemble: gathers a batch's fragments into one TrainingBatch, times out incomplete
 * batches, keeps each batch within the topic's size limit, and measures its diversity.
 */
package io.sieve.assemble;
