/** The embedded demo: a synthetic long-tailed feed and a simulated trainer around a real stack. */
package io.sieve.demo;
