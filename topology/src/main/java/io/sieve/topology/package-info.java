/**
 * The wiring of Sieve's Kafka Streams topology (a pure function of the config and the serdes):
 * every stage's processors, stores and internal topics, named, in the order of the flow. Nothing
 * here but the wiring; each stage lives in a package of its own.
 */
package io.sieve.topology;
