/**
 * Kernels on the JDK Vector API (an incubator module in Java 17), used by the clustering hot path
 * when the JVM runs with {@code --add-modules jdk.incubator.vector}.
 */
package io.sieve.simd;
