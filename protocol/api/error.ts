/** Rancher's Norman error body: every 4xx/5xx the edge or a tunnel object answers has this shape. */
export interface ApiErrorBody {
  type: 'error'
  status: number
  code: string
  message: string
}

export function errorBody(status: number, code: string, message: string): ApiErrorBody {
  return { type: 'error', status, code, message }
}
