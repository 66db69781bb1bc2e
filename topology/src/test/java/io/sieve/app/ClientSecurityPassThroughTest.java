package io.sieve.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.config.SieveConfig;
import io.sieve.errors.DeadLetterSender;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** Every Kafka client Sieve creates gets the security settings it was configured with. */
class ClientSecurityPassThroughTest {

  private static final Map<String, String> SECURITY =
      Map.of(
          "security.protocol", "SASL_SSL",
          "sasl.mechanism", "SCRAM-SHA-512",
          "sasl.jaas.config",
              "org.apache.kafka.common.security.scram.ScramLoginModule required"
                  + " username=\"sieve\" password=\"pw\";",
          "ssl.truststore.location", "/etc/sieve/truststore.jks",
          "ssl.truststore.password", "trust-pw",
          "ssl.endpoint.identification.algorithm", "https");

  private static SieveConfig config() {
    Map<String, Object> props = new HashMap<>(SECURITY);
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, "broker:9093");
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://registry:8081");
    return new SieveConfig(props);
  }

  @Test
  void everyClientGetsTheSecuritySettings() {
    // Given a config with SASL_SSL settings
    SieveConfig config = config();
    StreamsConfig streams = new StreamsConfig(config.streamsProperties());

    // When each client's settings are built
    Map<String, Map<String, Object>> clients = new LinkedHashMap<>();
    clients.put("streams main consumer", streams.getMainConsumerConfigs("g", "c", 0));
    clients.put("streams restore consumer", streams.getRestoreConsumerConfigs("c"));
    clients.put("streams global consumer", streams.getGlobalConsumerConfigs("c"));
    clients.put("streams producer", streams.getProducerConfigs("c"));
    clients.put("streams admin", streams.getAdminConfigs("c"));
    clients.put("topic admin", TopicAdmin.properties(config));
    clients.put("trainer admin producer", TrainerAdmin.producerProperties(config));
    clients.put("batch topic watcher", BatchTopicProvisioner.consumerProperties(config));
    clients.put("dead-letter producer", DeadLetterSender.producerProperties(config));

    // Then every one of them carries every security setting unchanged
    clients.forEach(
        (client, props) ->
            SECURITY.forEach(
                (key, value) ->
                    assertThat(String.valueOf(props.get(key)))
                        .as("%s: %s", client, key)
                        .isEqualTo(value)));
  }
}
