/**
 * The registries the tests start (tools/support/registries.ts): each serves on
 * its loopback port, holds nothing it was not given (no proxy, no uplinks),
 * and leaves neither a listening port nor a directory behind.
 */
import { existsSync } from 'node:fs';
import { Socket } from 'node:net';
import {
  npmRegistryUnavailable,
  ociRegistryUnavailable,
  startNpmRegistry,
  startOciRegistry,
} from '../tools/support/registries';

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
  });
}

const ociSuite = ociRegistryUnavailable ? describe.skip : describe;
ociSuite(
  `the OCI registry the tests start${ociRegistryUnavailable ? ` (skipped: ${ociRegistryUnavailable})` : ''}`,
  () => {
    it('serves the distribution API on loopback, empty, and is gone with its files after remove()', async () => {
      const registry = await startOciRegistry();
      try {
        expect(registry.host).toBe(`127.0.0.1:${registry.port}`);
        expect(existsSync(registry.dir)).toBe(true);
        expect((await fetch(`http://${registry.host}/v2/`)).status).toBe(200);
        expect(await registry.catalog()).toEqual([]);
        // Nothing is proxied from elsewhere: an unknown repository is this registry's own 404.
        const unknown = await fetch(`http://${registry.host}/v2/library/busybox/tags/list`);
        expect(unknown.status).toBe(404);
      } finally {
        await registry.remove();
      }
      expect(await listening(registry.port)).toBe(false);
      expect(existsSync(registry.dir)).toBe(false);
    });
  },
);

const npmSuite = npmRegistryUnavailable ? describe.skip : describe;
npmSuite(
  `the npm registry the tests start${npmRegistryUnavailable ? ` (skipped: ${npmRegistryUnavailable})` : ''}`,
  () => {
    it('knows its user by token, has no uplinks, and is gone with its files after remove()', async () => {
      const registry = await startNpmRegistry();
      try {
        expect(registry.npmrc).toContain(`//${registry.host}/:_authToken=${registry.user.token}`);
        const whoami = await fetch(`${registry.url}-/whoami`, {
          headers: { authorization: `Bearer ${registry.user.token}` },
        });
        expect(await whoami.json()).toEqual({ username: registry.user.name });
        // No uplinks: a package of the public registry is not there.
        expect((await fetch(`${registry.url}left-pad`)).status).toBe(404);
      } finally {
        await registry.remove();
      }
      expect(await listening(registry.port)).toBe(false);
      expect(existsSync(registry.dir)).toBe(false);
    });
  },
);
