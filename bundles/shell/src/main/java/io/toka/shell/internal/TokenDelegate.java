package io.toka.shell.internal;

import io.toka.security.AuthenticationException;
import io.toka.security.DelegationRequest;
import io.toka.security.SecurityContext;
import io.toka.security.ShellSecurity;
import io.toka.security.TokenRequestException;
import io.toka.security.TokenService;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:token-delegate --token T <permission>...}: narrows a token into a child token. */
@Command(scope = "toka", name = "token-delegate",
        description = "Narrows a token into a child token: fewer permissions, shorter life, optional UTC time windows and weekdays")
@Service
public class TokenDelegate implements Action {

    @Reference
    TokenService tokens;

    @Reference
    ShellSecurity security;

    @Option(name = "--token", aliases = "-t", required = true,
            description = "The parent token itself (from your shell: --token \"$(cat file)\")")
    String token;

    @Option(name = "--subject", description = "Who will hold the child (default: the parent's subject)")
    String subject;

    @Option(name = "--ttl", description = "Lifetime, e.g. 600, 90s, 15m, 2h (default and maximum: the parent's)")
    String ttl;

    @Option(name = "--window", multiValued = true, description = "UTC window HH:MM-HH:MM; may wrap midnight; repeatable")
    List<String> windows;

    @Option(name = "--days", description = "Allowed weekdays, comma-separated: 1 = Monday ... 7 = Sunday")
    String days;

    @Option(name = "--quiet", aliases = "-q", description = "Print only the token")
    boolean quiet;

    @Argument(index = 0, name = "permissions", description = "The child's permissions; each must be held by the parent",
            required = true, multiValued = true)
    List<String> permissions;

    @Override
    public Object execute() throws Exception {
        // a logged-in shell user, and the token itself: Toka reads no token file on the user's behalf
        security.currentUser();
        String raw = ConfinedPaths.token(token);
        SecurityContext holder;
        try {
            holder = tokens.authenticate(raw);
        } catch (AuthenticationException e) {
            throw new IllegalArgumentException("the parent token is not valid (expired, revoked or not issued here)");
        }
        Set<Integer> weekdays = new LinkedHashSet<>();
        if (days != null) {
            for (String d : days.split(",")) {
                try {
                    weekdays.add(Integer.parseInt(d.trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--days takes weekday numbers 1-7 separated by commas, not '" + days + "'");
                }
            }
        }
        try {
            TokenPrinter.print(System.out, tokens.delegate(holder, new DelegationRequest(subject, permissions,
                    TokenPrinter.duration(ttl), windows, weekdays)), quiet);
        } catch (TokenRequestException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        return null;
    }
}
