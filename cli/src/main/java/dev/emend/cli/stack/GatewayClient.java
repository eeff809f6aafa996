package dev.emend.cli.stack;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
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

    public GatewayClient(String base, String key) {
        this.base = base;
        this.key = key;
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
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(10))
                .header("Authorization", "Bearer " + key).header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(GSON.toJson(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonElement json = r.body().isBlank() ? new JsonObject() : JsonParser.parseString(r.body());
            if (r.statusCode() / 100 != 2) {
                String detail = json.isJsonObject() && json.getAsJsonObject().has("detail")
                        ? json.getAsJsonObject().get("detail").getAsString() : r.body();
                throw new GatewayException(r.statusCode(), method + " " + path + " -> " + r.statusCode() + ": " + detail);
            }
            return json.isJsonObject() ? json.getAsJsonObject() : wrap(json);
        } catch (IOException e) {
            throw new GatewayException(503, "the gateway at " + base + " does not answer (" + e.getMessage() + "); is the stack up? ./emend up");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayException(499, "interrupted");
        }
    }

    private static JsonObject wrap(JsonElement e) {
        JsonObject o = new JsonObject();
        o.add("items", e);
        return o;
    }
}
