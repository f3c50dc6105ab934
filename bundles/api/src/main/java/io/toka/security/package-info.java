/**
 * Toka security: who is calling and what they may do.
 *
 * <p>Every entry point turns its credentials into a {@link io.toka.security.SecurityContext}: HTTP and agents through
 * a capability token ({@link io.toka.security.TokenService#authenticate(String)}), the Karaf shell through the
 * logged-in JAAS user ({@link io.toka.security.ShellSecurity#currentUser()}). One call then guards anything:
 * {@link io.toka.security.SecurityContext#authorize(String, java.util.Collection)} checks Shiro wildcard permissions
 * such as {@code tool:invoke:file-reader} and writes the decision to the audit log.
 */
@Export
@Version("1.4.0")
package io.toka.security;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
