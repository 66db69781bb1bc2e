package io.sieve.cli;

import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.registry.RestSchemaRegistry;
import io.sieve.serde.AvroSerdes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Where the tool commands find Kafka and the registry: the properties file of {@code run}, or the
 * two addresses on the command line (which win over the file).
 */
public final class ConnectionOptions {

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Properties file, the same as for `run` (topic names, security, registry auth).")
  Path config;

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT[,...]",
      description = "Kafka bootstrap servers (overrides bootstrap.servers of --config).")
  String bootstrapServers;

  @Option(
      names = "--schema-registry-url",
      paramLabel = "URL",
      description =
          "Confluent-compatible registry API (overrides schema.registry.url of --config).")
  String schemaRegistryUrl;

  /** The configuration the options name; a usage error when Kafka or the registry is missing. */
  public SieveConfig sieveConfig() {
    Map<String, Object> props = new HashMap<>();
    if (config != null) {
      Properties file = new Properties();
      try (InputStream in = Files.newInputStream(config)) {
        file.load(in);
      } catch (NoSuchFileException e) {
        throw new ParameterException(mixee.commandLine(), "no such file: " + config);
      } catch (IOException e) {
        throw new ParameterException(mixee.commandLine(), "cannot read " + config + ": " + e);
      }
      file.stringPropertyNames().forEach(k -> props.put(k, file.getProperty(k)));
    }
    if (bootstrapServers != null) {
      props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    }
    if (schemaRegistryUrl != null) {
      props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, schemaRegistryUrl);
    }
    for (String key :
        new String[] {
          SieveConfig.BOOTSTRAP_SERVERS_CONFIG, SieveConfig.SCHEMA_REGISTRY_URL_CONFIG
        }) {
      Object value = props.get(key);
      if (value == null || value.toString().isBlank()) {
        throw new ParameterException(
            mixee.commandLine(),
            "no " + key + ": give --config FILE or --" + key.replace('.', '-'));
      }
    }
    try {
      return new SieveConfig(props);
    } catch (ConfigException e) {
      throw new ParameterException(mixee.commandLine(), "invalid configuration: " + e.getMessage());
    }
  }

  /** Serdes on the configured registry. */
  static AvroSerdes serdes(SieveConfig config) {
    return new AvroSerdes(new RestSchemaRegistry(config.registryOptions()));
  }

  /** The topic registry of the configuration. */
  static Topics topics(SieveConfig config) {
    return Topics.from(config, serdes(config));
  }
}
