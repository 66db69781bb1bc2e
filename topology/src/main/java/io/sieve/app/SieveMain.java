package io.sieve.app;

import io.sieve.config.SieveConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * The service artifact's entry point: {@code java -jar sieve-topology-all.jar [run] --config FILE}
 * runs Sieve against an existing Kafka cluster and schema registry until the process is stopped.
 * The {@code sieve run} command of the command line does the same.
 */
public final class SieveMain {
  private SieveMain() {}

  public static void main(String[] args) throws Exception {
    Path config = configPath(args);
    if (config == null) {
      System.err.println("usage: java -jar sieve-topology-all.jar [run] --config sieve.properties");
      System.exit(2);
    }
    run(config);
  }

  /** The properties file named by {@code --config FILE} (an optional leading {@code run} aside). */
  static Path configPath(String[] args) {
    int i = args.length > 0 && args[0].equals("run") ? 1 : 0;
    if (args.length == i + 2 && args[i].equals("--config")) {
      return Path.of(args[i + 1]);
    }
    if (args.length == i + 1 && args[i].startsWith("--config=")) {
      return Path.of(args[i].substring("--config=".length()));
    }
    return null;
  }

  /** Loads the config, starts the service and blocks until the JVM shuts down. */
  public static void run(Path configFile) throws IOException, InterruptedException {
    Properties props = new Properties();
    try (InputStream in = Files.newInputStream(configFile)) {
      props.load(in);
    }
    // a running service serves its REST API and metrics unless the file turns them off
    props.putIfAbsent(SieveConfig.REST_ENABLED_CONFIG, "true");
    SieveService service = new SieveService(new SieveConfig(Map.copyOf(props)));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  service.close();
                  stopped.countDown();
                },
                "sieve-shutdown"));
    service.start();
    if (service.restUrl() != null) {
      System.out.printf("Sieve REST API and metrics: %s%n", service.restUrl());
    }
    stopped.await();
  }
}
