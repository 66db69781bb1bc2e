/**
 * The {@code sieve} command line: {@code demo} and {@code run}, and the tools around a running
 * service: {@code ingest}, {@code tail}, {@code trainer put|list|delete}, {@code topics create}.
 */
package io.sieve.cli;
