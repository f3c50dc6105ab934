package io.toka.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** Creating, validating and reading events. */
public final class Events {

    /** Largest payload, as JSON text. */
    public static final int MAX_PAYLOAD_BYTES = 2 * 1024 * 1024;
    /** How far an event's timestamp may be from now. */
    public static final Duration MAX_CLOCK_DISTANCE = Duration.ofHours(24);
    /** Kinds are dotted lower-case words. */
    public static final Pattern KIND = Pattern.compile("[a-z][a-z0-9_-]*(\\.[a-z][a-z0-9_-]*)+");

    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();
    private static final Map<String, Class<? extends EventPayload>> BUILT_IN = new ConcurrentHashMap<>();

    static {
        for (Class<?> c : EventPayload.class.getDeclaredClasses()) {
            if (EventPayload.class.isAssignableFrom(c) && c.isRecord()) {
                @SuppressWarnings("unchecked")
                Class<? extends EventPayload> p = (Class<? extends EventPayload>) c;
                BUILT_IN.put(kindOf(p), p);
            }
        }
    }

    private Events() {
    }

    private static String kindOf(Class<? extends EventPayload> c) {
        // every built-in kind() returns a constant; read it from a throw-away instance is not possible without
        // arguments, so derive it from the class name: TaskScheduled -> task.scheduled
        String n = c.getSimpleName();
        return n.replaceAll("([a-z])([A-Z])", "$1.$2").toLowerCase();
    }

    /**
     * Creates an event now.
     *
     * @param payload what happened
     * @param parents the events it follows from (their digests enter its digest)
     * @return the event, not yet stored
     * @throws IllegalArgumentException if the payload is too large or the kind malformed
     */
    public static Event create(EventPayload payload, List<Event> parents) {
        return create(payload, parents, Instant.now());
    }

    /**
     * Creates an event at a given time.
     *
     * @throws IllegalArgumentException if the time is more than 24 h from now, the payload is too large, or the
     *     kind is malformed
     */
    public static Event create(EventPayload payload, List<Event> parents, Instant timestamp) {
        String kind = payload.kind();
        if (kind == null || !KIND.matcher(kind).matches()) {
            throw new IllegalArgumentException("event kind '" + kind + "' is not dotted lower-case words");
        }
        Instant now = Instant.now();
        if (Duration.between(now, timestamp).abs().compareTo(MAX_CLOCK_DISTANCE) > 0) {
            throw new IllegalArgumentException("event timestamp " + timestamp + " is more than 24 h from now (" + now + ")");
        }
        String json = toJson(payload);
        int bytes = json.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("event payload is " + bytes + " bytes; the limit is " + MAX_PAYLOAD_BYTES);
        }
        List<String> ids = new ArrayList<>(parents.size());
        List<String> digests = new ArrayList<>(parents.size());
        for (Event p : parents) {
            ids.add(p.id());
            digests.add(p.digest());
        }
        return new Event(0, newId(timestamp), kind, payload.schemaVersion(),
                timestamp.truncatedTo(ChronoUnit.MICROS), ids, digest(json, digests), payload.agent(),
                payload.subject(), json);
    }

    /**
     * A new event id: a time-ordered UUID (version 7, RFC 9562): the event's time in milliseconds, then 74 random
     * bits. Ids written one after another then sort together, so the stores' unique index on the id grows at its end
     * (a random UUID dirtied a different index page per event: at 64 events per commit, half of SQLite's commit time
     * went to those pages).
     * <p>
     * The random bits come from a per-thread DRBG seeded from the system's entropy once per thread: the shared
     * generator behind {@link UUID#randomUUID()} serializes every caller on one lock and reads /dev/urandom, and under
     * 32 concurrent tool calls it was 4 % of Toka's CPU samples.
     */
    static String newId(Instant time) {
        byte[] r = new byte[16];
        ID_RANDOM.get().nextBytes(r);
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) {
            msb = (msb << 8) | (r[i] & 0xFF);
            lsb = (lsb << 8) | (r[i + 8] & 0xFF);
        }
        long high = (time.toEpochMilli() << 16) | 0x7000L | (msb & 0x0FFFL);
        long low = (lsb & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
        return new UUID(high, low).toString();
    }

    private static final ThreadLocal<SecureRandom> ID_RANDOM = ThreadLocal.withInitial(() -> {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    });

    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    });

    /**
     * The causal digest: SHA-256 over the payload's UTF-8 bytes followed by the parent digests in sorted order, so
     * the order in which parents are given does not matter.
     *
     * @return lower-case hex
     */
    public static String digest(String payloadJson, List<String> parentDigests) {
        MessageDigest sha = SHA_256.get();
        sha.reset();
        sha.update(payloadJson.getBytes(StandardCharsets.UTF_8));
        List<String> sorted = parentDigests;
        if (parentDigests.size() > 1) {
            sorted = new ArrayList<>(parentDigests);
            Collections.sort(sorted);
        }
        for (String d : sorted) {
            sha.update((byte) 0);
            sha.update(d.getBytes(StandardCharsets.US_ASCII));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * @return the payload as canonical JSON (properties sorted)
     */
    public static String toJson(EventPayload payload) {
        try {
            return CANONICAL.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("payload of kind " + payload.kind() + " cannot be written as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * Reads a built-in payload back.
     *
     * @return the typed payload, or empty for a kind defined elsewhere
     * @throws IllegalArgumentException if the stored JSON does not fit the type
     */
    public static Optional<EventPayload> payload(Event event) {
        Class<? extends EventPayload> type = BUILT_IN.get(event.kind());
        if (type == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(CANONICAL.readValue(event.payload(), type));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event " + event.id() + " of kind " + event.kind()
                    + " has an unreadable payload: " + e.getOriginalMessage(), e);
        }
    }

    /** @return the kinds of the built-in payloads */
    public static java.util.Set<String> builtInKinds() {
        return java.util.Set.copyOf(BUILT_IN.keySet());
    }
}
