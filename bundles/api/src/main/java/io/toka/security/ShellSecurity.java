package io.toka.security;

import java.util.Collection;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Security for Karaf shell commands: the logged-in JAAS user, with permissions mapped from its roles
 * (configured; {@code admin} maps to {@code *}).
 */
@ProviderType
public interface ShellSecurity {

    /**
     * The user running the current shell command.
     *
     * @return the caller
     * @throws AccessDeniedException if the command does not run under a logged-in JAAS user
     */
    SecurityContext currentUser();

    /**
     * A caller with the permissions of the given roles.
     *
     * @param user the user name
     * @param roles JAAS role names
     * @return the caller
     */
    SecurityContext forRoles(String user, Collection<String> roles);
}
