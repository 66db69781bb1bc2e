package io.sieve.query;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.kafka.streams.state.HostInfo;

/**
 * Sends a query on to the instance that owns its key, marked as forwarded so that the owner answers
 * from its own stores and never forwards it again (ownership may move meanwhile).
 */
final class Forwarder {

  static final String FORWARDED_HEADER = "X-Sieve-Forwarded";

  private final HttpClient client =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(1))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  /** GET {@code path?query} on {@code host}; the caller's Authorization goes along. */
  Response get(HostInfo host, String path, String query, String authorization, Duration timeout)
      throws IOException, InterruptedException {
    URI uri;
    try {
      uri = new URI("http", null, host.host(), host.port(), path, query, null);
    } catch (URISyntaxException e) {
      throw new IOException("cannot address " + host + path, e);
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri)
            .timeout(
                timeout.compareTo(Duration.ofMillis(100)) < 0 ? Duration.ofMillis(100) : timeout)
            .header(FORWARDED_HEADER, "true")
            .GET();
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    HttpResponse<byte[]> response =
        client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    String type = response.headers().firstValue("Content-Type").orElse("application/json");
    return Response.raw(response.statusCode(), response.body(), type);
  }
}
