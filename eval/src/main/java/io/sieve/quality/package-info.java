/**
 * The quality benchmark: real data (WordNet glosses, Fashion-MNIST) streamed through the real
 * topology on the embedded broker and registry, one softmax-regression trainer per policy and seed
 * sharing the pool, accuracy on a held-out test set against examples consumed.
 */
package io.sieve.quality;
