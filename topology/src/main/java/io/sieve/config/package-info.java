/** The service's one typed configuration, validated at start-up, and its topic registry. */
package io.sieve.config;
