package io.toka.orchestration.internal.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Agent YAML for tests: the shipped-spec reproductions under {@code /agents} and a small valid spec. */
final class Specs {

    /** A valid configuration; tests break it with {@link String#replace}. */
    static final String VALID = """
            metadata:
              name: "alpha"
              version: "v1"
              created: "2025-07-04"
              workstream: "Alpha"
              branch: "feature/alpha"
            spec:
              name: "Alpha Agent"
              domain: "testing"
              priority: "medium"
            capabilities:
              primary: ["one"]
              secondary: []
            objectives:
              - description: "first"
                deliverable: "first thing"
                validation: "it exists"
            tasks:
              default:
                - description: "do it"
                  priority: "high"
            dependencies:
              required: {}
              optional: {}
            reporting:
              frequency: "daily"
              channels: ["main-agent"]
              metrics: {}
            security:
              sandbox: true
              capabilities_required: ["filesystem-read"]
              resource_limits:
                max_memory: "512MB"
                max_cpu: "75%"
                timeout: "2h"
            """;

    private Specs() {
    }

    /** A valid configuration named {@code name}, with required dependencies and a priority. */
    static String agent(String name, String priority, String... requires) {
        StringBuilder deps = new StringBuilder();
        for (String r : requires) {
            deps.append("\n    - \"").append(r).append("\": \"needed\"");
        }
        return VALID.replace("name: \"alpha\"", "name: \"" + name + "\"")
                .replace("priority: \"medium\"", "priority: \"" + priority + "\"")
                .replace("  required: {}", requires.length == 0 ? "  required: {}" : "  required:" + deps);
    }

    static String resource(String file) {
        try (InputStream in = Specs.class.getResourceAsStream("/agents/" + file)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource /agents/" + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
