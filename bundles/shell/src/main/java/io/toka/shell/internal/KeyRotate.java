package io.toka.shell.internal;

import io.toka.security.KeyInfo;
import io.toka.security.KeyService;
import io.toka.security.ShellSecurity;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** {@code toka:key-rotate}: a new signing key now; the previous one validates until the overlap ends. */
@Command(scope = "toka", name = "key-rotate", description = "Rotates the signing key; tokens signed with the old key stay valid for the overlap")
@Service
public class KeyRotate implements Action {

    @Reference
    KeyService keys;

    @Reference
    ShellSecurity security;

    @Override
    public Object execute() {
        KeyInfo k = keys.rotate(security.currentUser());
        System.out.println("New signing key " + k.kid() + " (created " + k.createdAt() + ")");
        return null;
    }
}
