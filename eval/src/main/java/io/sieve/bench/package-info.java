/** The end-to-end performance benchmark ({@code sieve bench}). */
package io.sieve.bench;
