package io.sieve.assemble;

import io.sieve.avro.BatchExample;
import io.sieve.avro.BatchManifest;
import io.sieve.avro.ManifestExample;
import io.sieve.avro.TrainingBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * A batch's manifest: everything that says which examples a trainer saw in it (ids, clusters,
 * cycles, groups, sampling weights, scores, and the policy, its state version and seed), without
 * the texts and embeddings, and the rank whose shard held each example ({@link Shards}): one
 * manifest per batch, however many ranks it was split for. It is written beside the batch, in the
 * same transaction, so that "what did the model see at step N" can be answered long after the batch
 * topic has dropped the payloads.
 *
 * <p>A manifest holds a subset of its batch's fields, so it is never larger than the batch: the
 * manifests topic allows the same record size as a batch topic.
 */
public final class Manifests {

  private Manifests() {}

  public static BatchManifest of(TrainingBatch batch) {
    List<ManifestExample> examples = new ArrayList<>(batch.getExamples().size());
    int[] ranks = Shards.ranks(batch);
    for (int i = 0; i < ranks.length; i++) {
      BatchExample e = batch.getExamples().get(i);
      examples.add(
          ManifestExample.newBuilder()
              .setId(e.getId())
              .setClusterId(e.getClusterId())
              .setCycle(e.getCycle())
              .setGroups(new TreeMap<>(e.getGroups()))
              .setWeight(e.getWeight())
              .setScore(e.getScore())
              .setRank(ranks[i])
              .build());
    }
    return BatchManifest.newBuilder()
        .setTrainerId(batch.getTrainerId())
        .setSequence(batch.getSequence())
        .setBatchId(batch.getBatchId())
        .setRound(batch.getRound())
        .setCycle(batch.getCycle())
        .setPolicy(batch.getPolicy())
        .setPolicyStateVersion(batch.getPolicyStateVersion())
        .setSeed(batch.getSeed())
        .setModelVersion(batch.getModelVersion())
        .setRequested(batch.getRequested())
        .setComplete(batch.getComplete())
        .setPlannedAt(batch.getPlannedAt())
        .setCreatedAt(batch.getAssembledAt())
        .setRanks(Math.max(1, batch.getRanks()))
        .setExamples(examples)
        .build();
  }
}
