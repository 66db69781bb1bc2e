/** The {@code sieve} command line: {@code demo} and {@code run}. */
package io.sieve.cli;
