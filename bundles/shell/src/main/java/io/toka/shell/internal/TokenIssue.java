package io.toka.shell.internal;

import io.toka.security.ShellSecurity;
import io.toka.security.TokenRequest;
import io.toka.security.TokenRequestException;
import io.toka.security.TokenService;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:token-issue <subject> <permission>...}: issues a capability token (needs token:issue). */
@Command(scope = "toka", name = "token-issue", description = "Issues a capability token; you can only grant permissions you hold")
@Service
public class TokenIssue implements Action {

    @Reference
    TokenService tokens;

    @Reference
    ShellSecurity security;

    @Option(name = "--vault", description = "The token's vault (default: the configured one)")
    String vault;

    @Option(name = "--ttl", description = "Lifetime, e.g. 3600, 90s, 15m, 2h (at most 24h; default 1h)")
    String ttl;

    @Option(name = "--quiet", aliases = "-q", description = "Print only the token")
    boolean quiet;

    @Argument(index = 0, name = "subject", description = "Who will hold the token", required = true)
    String subject;

    @Argument(index = 1, name = "permissions", description = "Permissions, e.g. tool:invoke:file-reader filesystem:read",
            required = true, multiValued = true)
    List<String> permissions;

    @Override
    public Object execute() throws Exception {
        try {
            TokenPrinter.print(System.out, tokens.issue(security.currentUser(),
                    new TokenRequest(subject, vault, permissions, TokenPrinter.duration(ttl))), quiet);
        } catch (TokenRequestException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        return null;
    }
}
