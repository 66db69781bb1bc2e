package io.sieve.policy;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * How far the rounds so far show a cluster's reward to differ from the others', so that a
 * multiplicative update compounds evidence rather than noise.
 *
 * <p>A round's rewards are relative to the round ({@link Rewards}: 0.5 at the median, 0 and 1 at κ
 * robust standard deviations), so on a clean stream, where no cluster helps more than another, they
 * are still spread over [0, 1], and an update that multiplies the weights by {@code softmax(r)}
 * every round lets them drift as a random walk away from the pool's mix. Instead, per cluster,
 * exponentially weighted over the last {@code memory} rounds that reported it (weight γ = 1 −
 * 1/memory per report back; a round without news of a cluster leaves its evidence as it is), with
 * {@code c = r − 0.5} for each report:
 *
 * <pre>
 *   W_k = Σ γ^age,  m_k = Σ γ^age·c / W_k,
 *   σ² = Σ_k (Σ γ^age·c² − W_k·m_k²) / Σ_k (W_k − 1)   (pooled over clusters seen more than once;
 *                                                      until then the round's spread of c)
 *   se_k = σ / √W_k,   m̄ = mean_k m_k,
 *   r̃_k = 0.5 + sign(m_k − m̄) · max(0, |m_k − m̄| − λ·se_k)
 * </pre>
 *
 * a soft threshold at λ standard errors: a cluster whose mean reward stays within λ·se of the
 * others' moves nothing, one that keeps standing out moves by what exceeds the noise. A single
 * cluster that stands out (the sparse case: one new class among many old ones) passes after a few
 * rounds, where a shrinkage of all clusters towards a common prior would hold it back. With λ = 0
 * the reward is the cluster's recent mean, and with {@code memory} = 1 as well it is the round's
 * own reward (the paper's update). A cluster no round has reported, or one the pool no longer
 * holds, has no evidence: 0.5.
 *
 * <p>Evidence is about one kind of reward: a round whose rewards come from another kind (say, the
 * first round's losses before the trainer's second evaluation gives validation gains) starts it
 * over.
 *
 * <p>State (in the policy state): {@code ev.kind}, {@code ev.w.<k>}, {@code ev.s1.<k>}, {@code
 * ev.s2.<k>}.
 */
final class RewardEvidence {

  private RewardEvidence() {}

  /**
   * Adds one round's rewards (in [0, 1]) to the evidence of {@code clusters} (the others' evidence
   * is dropped) and returns each cluster's thresholded reward in [0, 1]. The arms may be clusters
   * or any other ids (a group attribute's values): evidence is kept under {@code
   * String.valueOf(id)}.
   */
  static <K extends Comparable<? super K>> TreeMap<K, Double> update(
      PolicyState ps,
      Map<K, Double> rewards,
      Set<K> clusters,
      double memory,
      double lambda,
      Rewards.Kind kind) {
    double gamma = 1 - 1 / Math.max(1, memory);
    if (ps.get("ev.kind", kind.ordinal()) != kind.ordinal()) {
      // evidence is about one signal: a round scored from another kind starts it over
      ps.removePrefix("ev.");
    }
    ps.put("ev.kind", kind.ordinal());
    Set<String> kept = new java.util.HashSet<>();
    clusters.forEach(k -> kept.add(String.valueOf(k)));
    for (String c : ps.ids("ev.w")) {
      if (!kept.contains(c)) {
        ps.remove(PolicyState.key("ev.w", c));
        ps.remove(PolicyState.key("ev.s1", c));
        ps.remove(PolicyState.key("ev.s2", c));
      }
    }
    double roundMean = 0;
    double roundSq = 0;
    int observed = 0;
    for (K id : clusters) {
      String k = String.valueOf(id);
      Double r = rewards.get(id);
      if (r == null || !Double.isFinite(r)) {
        continue; // no news of k this round: its evidence stands as it is, neither added to nor
        // aged
      }
      double c = r - 0.5;
      ps.put(PolicyState.key("ev.w", k), gamma * ps.get(PolicyState.key("ev.w", k), 0) + 1);
      ps.put(PolicyState.key("ev.s1", k), gamma * ps.get(PolicyState.key("ev.s1", k), 0) + c);
      ps.put(PolicyState.key("ev.s2", k), gamma * ps.get(PolicyState.key("ev.s2", k), 0) + c * c);
      roundMean += c;
      roundSq += c * c;
      observed++;
    }
    // the noise of one round's reward: pooled within-cluster variance across rounds
    double within = 0;
    double dof = 0;
    double meanOfMeans = 0;
    int withEvidence = 0;
    for (K id : clusters) {
      String k = String.valueOf(id);
      double w = ps.get(PolicyState.key("ev.w", k), 0);
      if (w <= 0) {
        continue;
      }
      double s1 = ps.get(PolicyState.key("ev.s1", k), 0);
      double s2 = ps.get(PolicyState.key("ev.s2", k), 0);
      meanOfMeans += s1 / w;
      withEvidence++;
      if (w > 1) {
        within += Math.max(0, s2 - s1 * s1 / w);
        dof += w - 1;
      }
    }
    double sigma2;
    if (dof >= 1) {
      sigma2 = within / dof;
    } else if (observed > 1) {
      double m = roundMean / observed;
      sigma2 = Math.max(0, roundSq / observed - m * m) * observed / (observed - 1);
    } else {
      sigma2 = 0;
    }
    meanOfMeans = withEvidence > 0 ? meanOfMeans / withEvidence : 0;
    TreeMap<K, Double> out = new TreeMap<>();
    for (K id : clusters) {
      String k = String.valueOf(id);
      double w = ps.get(PolicyState.key("ev.w", k), 0);
      if (w <= 0) {
        out.put(id, 0.5);
        continue;
      }
      double d = ps.get(PolicyState.key("ev.s1", k), 0) / w - meanOfMeans;
      double excess = Math.max(0, Math.abs(d) - lambda * Math.sqrt(sigma2 / w));
      out.put(id, Math.min(1, Math.max(0, 0.5 + Math.signum(d) * excess)));
    }
    return out;
  }
}
