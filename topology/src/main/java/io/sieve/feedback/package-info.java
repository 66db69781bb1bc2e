/**
 * Feedback routing: turns a trainer's per-example losses into score updates for the pools that hold
 * those examples.
 */
package io.sieve.feedback;
