/**
 * Stage 1, validate and embed: checks every incoming example (id, embedding dimension and
 * finiteness, content), computes an embedding from the text when none is given, and dead-letters
 * what cannot be used, with its reason.
 */
package io.sieve.validate;
