package io.toka.security.spi;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * The durable home of the token authority's state: signing keys, revoked token ids and the ledger of minted tokens.
 * The token authority keeps what it checks on every request (keys, revoked ids) in memory, writes through this
 * store, and applies what other nodes changed when the store tells its {@link Listener}.
 *
 * <p>Registered as a service with the property {@link #TYPE}: {@value #LOCAL} (files in the data directory, the
 * default) or {@value #SHARED} (shared by the nodes of a cluster). The token authority's {@code stateStore.target}
 * configuration selects one.
 */
@ConsumerType
public interface SecurityStateStore {

    /** Service property naming the kind of store. */
    String TYPE = "toka.security.state";
    /** {@link #TYPE} of the store kept in one node's data directory. */
    String LOCAL = "local";
    /** {@link #TYPE} of a store shared by the nodes of a cluster. */
    String SHARED = "shared";

    /**
     * @return the stored signing keys, newest first (may include keys past their overlap)
     * @throws SecurityStateException if the store cannot be read
     */
    List<SigningKey> keys();

    /**
     * Replaces the stored keys if the signing key is still the expected one: a compare-and-set, so that of several
     * nodes rotating at once exactly one wins and the others reload.
     *
     * @param expectedActiveKid the kid of the signing key the caller saw, or {@code null} when it saw no key at all
     * @param keys the new key list, newest first, its first key active
     * @return whether the keys were replaced; {@code false} when another writer changed them first
     * @throws SecurityStateException if the store cannot be written
     */
    boolean replaceKeys(String expectedActiveKid, List<SigningKey> keys);

    /**
     * @param now the current time
     * @return the revoked token ids whose tokens have not expired yet, with the instant after which each entry may
     *     be forgotten
     * @throws SecurityStateException if the store cannot be read
     */
    Map<String, Instant> revocations(Instant now);

    /**
     * Revokes a token id; durable when this returns, and announced to the other nodes' listeners.
     *
     * @param jti the token id
     * @param until when the token expires anyway
     * @return whether it was not revoked before
     * @throws SecurityStateException if the store cannot be written
     */
    boolean revoke(String jti, Instant until);

    /**
     * Records a freshly minted token; durable when this returns.
     *
     * @throws SecurityStateException if the store cannot be written
     */
    void record(LedgerEntry entry);

    /**
     * @param jti a token id
     * @param now the current time
     * @return the ledger entry of a token that has not expired, minted by any node sharing this store
     * @throws SecurityStateException if the store cannot be read
     */
    Optional<LedgerEntry> find(String jti, Instant now);

    /**
     * @param jti a token id
     * @param now the current time
     * @return the unexpired tokens delegated or issued from it, directly or further down
     * @throws SecurityStateException if the store cannot be read
     */
    List<LedgerEntry> descendants(String jti, Instant now);

    /**
     * Tells the listener what other writers change from now on (a local store has no other writers and may never
     * call it).
     *
     * @return closes the subscription
     */
    Subscription subscribe(Listener listener);

    /** @return where the state is kept, for logs, e.g. {@code files in /opt/toka/data/toka}; never a secret */
    String describe();

    /** Changes made by other writers. Called on the store's own thread; must not block. */
    interface Listener {

        /**
         * Token ids revoked elsewhere (possibly including some already known).
         *
         * @param revoked token id → when its entry may be forgotten
         */
        void revoked(Map<String, Instant> revoked);

        /** The stored keys changed: read them again with {@link #keys()}. */
        void keysChanged();
    }

    /** A registered listener. */
    interface Subscription extends AutoCloseable {
        /** Stops the notifications. */
        @Override
        void close();
    }
}
