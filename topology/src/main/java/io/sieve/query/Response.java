package io.sieve.query;

import java.util.Map;

/**
 * One HTTP answer: a status, a body (an object written as JSON, or bytes as they are) and extra
 * headers.
 */
record Response(
    int status, Object json, byte[] raw, String contentType, Map<String, String> headers) {

  static Response json(int status, Object body) {
    return new Response(status, body, null, "application/json", Map.of());
  }

  static Response ok(Object body) {
    return json(200, body);
  }

  static Response error(int status, String message) {
    return json(status, Map.of("status", status, "error", message));
  }

  static Response notQueryable(String message, long retryAfterSeconds) {
    return new Response(
        503,
        Map.of("status", 503, "error", message),
        null,
        "application/json",
        Map.of("Retry-After", Long.toString(retryAfterSeconds)));
  }

  static Response raw(int status, byte[] body, String contentType) {
    return new Response(status, null, body, contentType, Map.of());
  }
}
