/**
 * Stage 5, plan: per trainer, turns specs, credit and feedback into batch plans (fragments per
 * cluster) with the trainer's selection policy.
 */
package io.sieve.plan;
