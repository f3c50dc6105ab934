package io.toka.shell.internal;

import io.toka.security.Revocation;
import io.toka.security.ShellSecurity;
import io.toka.security.TokenRequestException;
import io.toka.security.TokenService;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:token-revoke <jti>}: revokes a token and every token delegated from it. */
@Command(scope = "toka", name = "token-revoke", description = "Revokes a token by id (jti), and every token delegated from it")
@Service
public class TokenRevoke implements Action {

    @Reference
    TokenService tokens;

    @Reference
    ShellSecurity security;

    @Argument(index = 0, name = "jti", description = "The token id", required = true)
    String jti;

    @Override
    public Object execute() throws Exception {
        try {
            Revocation r = tokens.revoke(security.currentUser(), jti);
            System.out.println("Revoked " + r.jti() + (r.cascade().isEmpty() ? ""
                    : " and " + r.cascade().size() + " delegated token(s): " + String.join(", ", r.cascade())));
        } catch (TokenRequestException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        return null;
    }
}
