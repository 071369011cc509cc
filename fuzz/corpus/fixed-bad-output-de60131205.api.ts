import { model_query } from './session'; {
}