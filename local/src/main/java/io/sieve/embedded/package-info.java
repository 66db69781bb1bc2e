/**
 * Loopback-only local runtime: an in-process Kafka broker and a schema registry child process, for
 * the demo and the integration tests.
 */
package io.sieve.embedded;
