// `selfusers.ext.cattle.io`: Rancher's "who am I" — create one, read `status.userID`. Stored nowhere.
import { EXT_API_VERSION, SELF_USER } from '../../protocol/api/ext.ts'
import type { ExtContext } from '../context.ts'
import type { ExtResource } from '../server/resource.ts'
import { rancherUser } from './caller.ts'

export function selfUsers(ctx: ExtContext): ExtResource {
  return {
    type: SELF_USER,
    verbs: ['create'],
    async create(req) {
      const me = await rancherUser(ctx.client, req.user, req.signal)
      return { apiVersion: EXT_API_VERSION, kind: 'SelfUser', metadata: {}, status: { userID: me.userId } }
    },
  }
}
