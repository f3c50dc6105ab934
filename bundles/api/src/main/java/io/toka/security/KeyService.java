package io.toka.security;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/** The HS256 signing keys. Rotation keeps the previous key valid for the configured overlap. */
@ProviderType
public interface KeyService {

    /**
     * @param actor the caller; needs {@link Permissions#KEY_READ}
     * @return the keys still accepted, newest first
     */
    List<KeyInfo> keys(SecurityContext actor);

    /**
     * Generates a new signing key now; the old one keeps validating tokens until the overlap ends.
     *
     * @param actor the caller; needs {@link Permissions#KEY_ROTATE}
     * @return the new key
     */
    KeyInfo rotate(SecurityContext actor);
}
