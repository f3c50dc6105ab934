package io.toka.tool;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a tool is: its name, version, description, the JSON Schema of its arguments, the permissions a
 * caller must hold, behaviour hints and its timeout. Immutable; build one with {@link #builder(String)}.
 */
public final class ToolDescriptor {

    /** Allowed tool names: lower-case letters, digits and dashes, 1 to 64 characters. */
    public static final Pattern NAME_PATTERN = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    /** Schema used when a tool declares none: any JSON object. */
    public static final String ANY_OBJECT_SCHEMA =
            "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\"}";

    /** Timeout used when a tool declares none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final String name;
    private final String version;
    private final String description;
    private final String inputSchema;
    private final Set<String> requiredPermissions;
    private final boolean readOnly;
    private final boolean destructive;
    private final boolean idempotent;
    private final boolean openWorld;
    private final Duration timeout;
    private final String title;
    private final String outputSchema;

    private ToolDescriptor(Builder b) {
        this.name = b.name;
        this.version = b.version;
        this.description = b.description;
        this.inputSchema = b.inputSchema;
        this.requiredPermissions = Collections.unmodifiableSet(new LinkedHashSet<>(b.requiredPermissions));
        this.readOnly = b.readOnly;
        this.destructive = b.destructive;
        this.idempotent = b.idempotent;
        this.openWorld = b.openWorld;
        this.timeout = b.timeout;
        this.title = b.title;
        this.outputSchema = b.outputSchema;
    }

    /**
     * Starts a descriptor.
     *
     * @param name the tool name, matching {@link #NAME_PATTERN}
     * @return a builder with version {@code 0.0.0}, an empty description, {@link #ANY_OBJECT_SCHEMA},
     *     no permissions, all hints false and {@link #DEFAULT_TIMEOUT}
     * @throws IllegalArgumentException if the name does not match {@link #NAME_PATTERN}
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * @param name a candidate tool name
     * @return {@code true} if it matches {@link #NAME_PATTERN}
     */
    public static boolean isValidName(String name) {
        return name != null && NAME_PATTERN.matcher(name).matches();
    }

    /** @return the tool name */
    public String name() {
        return name;
    }

    /** @return the tool version, e.g. {@code 1.2.0} */
    public String version() {
        return version;
    }

    /** @return a one-paragraph description, shown to people and to language models */
    public String description() {
        return description;
    }

    /** @return the JSON Schema (2020-12) document the arguments must satisfy, as JSON text */
    public String inputSchema() {
        return inputSchema;
    }

    /** @return permissions the caller must hold besides {@code tool:invoke:<name>}; unmodifiable */
    public Set<String> requiredPermissions() {
        return requiredPermissions;
    }

    /** @return {@code true} if the tool does not change its environment */
    public boolean readOnly() {
        return readOnly;
    }

    /** @return {@code true} if the tool may destroy data (delete, overwrite) */
    public boolean destructive() {
        return destructive;
    }

    /** @return {@code true} if calling twice with the same arguments has no further effect */
    public boolean idempotent() {
        return idempotent;
    }

    /** @return {@code true} if the tool reaches outside the machine (network, external services) */
    public boolean openWorld() {
        return openWorld;
    }

    /** @return how long one call may take; positive */
    public Duration timeout() {
        return timeout;
    }

    /**
     * @return a short human-readable name for display (MCP's {@code title}), or {@code null} when the tool has none
     * @since 1.2
     */
    public String title() {
        return title;
    }

    /**
     * @return a JSON Schema 2020-12 document (JSON text) that every successful result's
     *     {@link ToolResult#structured() structured value} must satisfy, or {@code null} when the tool declares none.
     *     The registry validates it and turns a mismatch into a failure.
     * @since 1.2
     */
    public String outputSchema() {
        return outputSchema;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ToolDescriptor d
                && d.name.equals(name)
                && d.version.equals(version)
                && d.description.equals(description)
                && d.inputSchema.equals(inputSchema)
                && d.requiredPermissions.equals(requiredPermissions)
                && d.readOnly == readOnly
                && d.destructive == destructive
                && d.idempotent == idempotent
                && d.openWorld == openWorld
                && d.timeout.equals(timeout)
                && Objects.equals(d.title, title)
                && Objects.equals(d.outputSchema, outputSchema);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, version, inputSchema);
    }

    @Override
    public String toString() {
        return "ToolDescriptor[" + name + " " + version + "]";
    }

    /** Builds a {@link ToolDescriptor}. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private String version = "0.0.0";
        private String description = "";
        private String inputSchema = ANY_OBJECT_SCHEMA;
        private final Set<String> requiredPermissions = new LinkedHashSet<>();
        private boolean readOnly;
        private boolean destructive;
        private boolean idempotent;
        private boolean openWorld;
        private Duration timeout = DEFAULT_TIMEOUT;
        private String title;
        private String outputSchema;

        private Builder(String name) {
            if (!isValidName(name)) {
                throw new IllegalArgumentException("tool name '" + name
                        + "' is invalid: use 1-64 lower-case letters, digits and dashes, starting with a letter or digit");
            }
            this.name = name;
        }

        /**
         * @param version the tool version; must not be blank
         * @return this builder
         */
        public Builder version(String version) {
            this.version = requireText(version, "version");
            return this;
        }

        /**
         * @param description the description; must not be {@code null}
         * @return this builder
         */
        public Builder description(String description) {
            this.description = Objects.requireNonNull(description, "description");
            return this;
        }

        /**
         * @param inputSchema a JSON Schema 2020-12 document as JSON text; must not be blank. The registry
         *     compiles it when the tool is first called and refuses calls if it is not a valid schema.
         * @return this builder
         */
        public Builder inputSchema(String inputSchema) {
            this.inputSchema = requireText(inputSchema, "inputSchema");
            return this;
        }

        /**
         * @param permissions permissions the caller must hold, e.g. {@code filesystem:read}; replaces any
         *     set earlier
         * @return this builder
         */
        public Builder requiredPermissions(Set<String> permissions) {
            Objects.requireNonNull(permissions, "permissions");
            requiredPermissions.clear();
            for (String p : permissions) {
                requiredPermissions.add(requireText(p, "permission"));
            }
            return this;
        }

        /**
         * @param permissions permissions the caller must hold; replaces any set earlier
         * @return this builder
         */
        public Builder requiredPermissions(String... permissions) {
            return requiredPermissions(new LinkedHashSet<>(java.util.Arrays.asList(permissions)));
        }

        /** @param value the read-only hint @return this builder */
        public Builder readOnly(boolean value) {
            this.readOnly = value;
            return this;
        }

        /** @param value the destructive hint @return this builder */
        public Builder destructive(boolean value) {
            this.destructive = value;
            return this;
        }

        /** @param value the idempotent hint @return this builder */
        public Builder idempotent(boolean value) {
            this.idempotent = value;
            return this;
        }

        /** @param value the open-world hint @return this builder */
        public Builder openWorld(boolean value) {
            this.openWorld = value;
            return this;
        }

        /**
         * @param timeout how long one call may take; must be positive
         * @return this builder
         * @throws IllegalArgumentException if the timeout is zero or negative
         */
        public Builder timeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isZero() || timeout.isNegative()) {
                throw new IllegalArgumentException("timeout must be positive, was " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * @param title a short display name; {@code null} or blank for none
         * @return this builder
         * @since 1.2
         */
        public Builder title(String title) {
            this.title = title == null || title.isBlank() ? null : title;
            return this;
        }

        /**
         * @param outputSchema a JSON Schema 2020-12 document as JSON text that successful structured results must
         *     satisfy; {@code null} or blank for none
         * @return this builder
         * @since 1.2
         */
        public Builder outputSchema(String outputSchema) {
            this.outputSchema = outputSchema == null || outputSchema.isBlank() ? null : outputSchema;
            return this;
        }

        /** @return the descriptor */
        public ToolDescriptor build() {
            return new ToolDescriptor(this);
        }

        private static String requireText(String value, String what) {
            Objects.requireNonNull(value, what);
            if (value.isBlank()) {
                throw new IllegalArgumentException(what + " must not be blank");
            }
            return value;
        }
    }
}
