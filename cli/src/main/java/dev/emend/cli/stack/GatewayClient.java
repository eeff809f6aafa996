package dev.emend.cli.stack;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small JSON client of the gateway's REST API (what a newcomer would do with curl). */
public final class GatewayClient {
    /** A non-2xx answer: status and the problem+json detail. */
    public static final class GatewayException extends RuntimeException {
        private final int status;

        GatewayException(int status, String message) {
            super(message);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private static final Gson GSON = new Gson();
    private final String base;
    private final String key;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Base URL of the gateway the CLI talks to: {@value #URL_ENV}, else http://localhost:8080. */
    public static final String URL_ENV = "EMEND_GATEWAY_URL";
    /** API key: {@value #KEY_ENV}, else the local stack's {@code .emend/admin-key}. */
    public static final String KEY_ENV = "EMEND_API_KEY";

    public GatewayClient(String base, String key) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.key = key;
    }

    /** The gateway of {@code $EMEND_GATEWAY_URL} (default the local stack's) with the key of {@link #key}. */
    public static GatewayClient local(StackLayout layout) {
        String url = setting("emend.gateway.url", URL_ENV);
        return new GatewayClient(url == null ? "http://localhost:8080" : url, key(layout));
    }

    /** {@code $EMEND_API_KEY}, else the admin key {@code ./emend up} wrote; a clear error when neither exists. */
    static String key(StackLayout layout) {
        String env = setting("emend.api.key", KEY_ENV);
        if (env != null) {
            return env;
        }
        try {
            return Files.readString(layout.adminKey()).trim();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no API key: set " + KEY_ENV + " or start the local stack with ./emend up (it writes "
                    + layout.adminKey() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + layout.adminKey() + ": " + e.getMessage(), e);
        }
    }

    /** A system property (set by tests or EMEND_JAVA_OPTS), else the environment variable; null when neither is set. */
    private static String setting(String property, String env) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(env);
        }
        return v == null || v.isBlank() ? null : v.trim();
    }

    public String base() {
        return base;
    }

    /** Phases the gateway cannot reach now (GET /v1/spaces asks each phase for its spaces). */
    public java.util.Set<String> unavailablePhases() {
        java.util.Set<String> down = new java.util.TreeSet<>();
        try {
            JsonObject spaces = get("/v1/spaces");
            if (spaces.has("unavailable_phases")) {
                spaces.getAsJsonArray("unavailable_phases").forEach(e -> down.add(e.getAsString()));
            }
        } catch (GatewayException e) {
            down.add("(gateway: " + e.getMessage() + ")");
        }
        return down;
    }

    /**
     * The default method of a phase: the first one {@code GET /v1/methods} lists for it (each phase
     * service lists its registry's default method first), or empty when the phase offers none.
     */
    public java.util.Optional<String> defaultMethod(String phase) {
        for (com.google.gson.JsonElement e : get("/v1/methods").getAsJsonArray("methods")) {
            JsonObject m = e.getAsJsonObject();
            if (phase.equals(m.get("phase").getAsString())) {
                return java.util.Optional.of(m.get("name").getAsString());
            }
        }
        return java.util.Optional.empty();
    }

    public JsonObject get(String path) {
        return send("GET", path, null);
    }

    /** Like {@link #send} but waits and retries (up to a minute) while the gateway answers 429. */
    public JsonObject patiently(String method, String path, Object body) {
        for (int attempt = 0; ; attempt++) {
            try {
                return send(method, path, body);
            } catch (GatewayException e) {
                if (e.status() != 429 || attempt >= 60) {
                    throw e;
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    public JsonObject post(String path, Object body) {
        return send("POST", path, body);
    }

    public JsonObject delete(String path) {
        return send("DELETE", path, null);
    }

    /** Sends a request and returns the JSON body; a non-2xx answer becomes a GatewayException. */
    public JsonObject send(String method, String path, Object body) {
        return send(method, path, body, java.util.Map.of());
    }

    /** {@link #send(String, String, Object)} with extra headers (e.g. Idempotency-Key). */
    public JsonObject send(String method, String path, Object body, java.util.Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(10))
                .header("Authorization", "Bearer " + key).header("Accept", "application/json");
        headers.forEach(b::header);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(GSON.toJson(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonElement json = parse(r.body());
            if (r.statusCode() / 100 != 2) {
                throw new GatewayException(r.statusCode(), method + " " + path + " -> " + r.statusCode() + ": " + problem(json, r.body()));
            }
            return json.isJsonObject() ? json.getAsJsonObject() : wrap(json);
        } catch (IOException e) {
            throw new GatewayException(503, "the gateway at " + base + " does not answer (" + e.getMessage() + "); is the stack up? ./emend up");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayException(499, "interrupted");
        }
    }

    private static JsonElement parse(String body) {
        if (body.isBlank()) {
            return new JsonObject();
        }
        try {
            return JsonParser.parseString(body);
        } catch (com.google.gson.JsonParseException e) {
            return new com.google.gson.JsonPrimitive(body); // not JSON (a proxy's HTML page, say): shown as it is
        }
    }

    /** The problem+json detail, with the field at fault when the gateway names one. */
    static String problem(JsonElement json, String body) {
        if (!json.isJsonObject() || !json.getAsJsonObject().has("detail")) {
            return body.isBlank() ? "(no body)" : body;
        }
        JsonObject p = json.getAsJsonObject();
        String detail = p.get("detail").getAsString();
        return p.has("field") && !p.get("field").isJsonNull() ? "[" + p.get("field").getAsString() + "] " + detail : detail;
    }

    private static JsonObject wrap(JsonElement e) {
        JsonObject o = new JsonObject();
        o.add("items", e);
        return o;
    }
}
