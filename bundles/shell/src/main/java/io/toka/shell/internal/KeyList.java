package io.toka.shell.internal;

import io.toka.security.KeyInfo;
import io.toka.security.KeyService;
import io.toka.security.ShellSecurity;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code toka:key-list}: the signing keys still accepted: ids and dates, never key material. */
@Command(scope = "toka", name = "key-list", description = "Lists the signing keys (ids and dates only)")
@Service
public class KeyList implements Action {

    @Reference
    KeyService keys;

    @Reference
    ShellSecurity security;

    @Override
    public Object execute() {
        ShellTable table = new ShellTable();
        table.column("Key id");
        table.column("Created");
        table.column("State");
        table.column("Valid until");
        for (KeyInfo k : keys.keys(security.currentUser())) {
            table.addRow().addContent(k.kid(), k.createdAt(), k.active() ? "signing" : "retired " + k.retiredAt(),
                    k.validUntil() == null ? "-" : k.validUntil());
        }
        table.print(System.out);
        return null;
    }
}
